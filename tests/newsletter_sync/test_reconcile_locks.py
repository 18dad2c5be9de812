"""The newsletter reconcile while someone else writes to the database (SQLite).

Each step of the reconcile that reads a record and then writes it takes SQLite's write lock
when it starts. Another writer (an audience webhook, a sign-up) that comes while such a
step runs waits for it; without the lock the step's write would fail with "database is
locked" once the other writer had committed in between.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from storefront.container import services
from storefront.mailchimp.provider import Contact
from storefront.newsletter import services as subscriptions
from storefront.newsletter.services import NEWSLETTER_DELETE
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry
from tests.newsletter_sync.test_reconcile import (
    leave_earlier,
    local_status,
    remote_status,
    subscribe,
)
from tests.newsletter_sync.test_reconcile_rules import record
from tests.support.services import reconcile_newsletter


class Interloper:
    """After every statement the reconcile's thread sends, another connection tries to
    write a bystander's record at once (no waiting): it gets through while the reconcile
    only reads, and is refused while a reconcile step holds the write lock."""

    def __init__(self, path: str, bystander: int) -> None:
        self.connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        self.bystander = bystander
        self.thread = threading.get_ident()
        self.got_through = self.refused = 0

    def __call__(self, *_: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # locked: a step of the reconcile holds the lock
            self.refused += 1
            return
        self.got_through += 1
        self.connection.execute(
            "UPDATE newsletter_subscribers SET consent_source = ? WHERE id = ?",
            (f"webhook {self.got_through}", self.bystander),
        )
        self.connection.execute("COMMIT")


def test_a_writer_coming_meanwhile_never_fails_a_reconcile_step(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    db = services(app).db
    if not db.is_sqlite:
        pytest.skip("the whole-database write lock is SQLite's")
    for name in ("bystander", "gone", "back", "bye", "stale"):
        subscribe(app, f"{name}@example.com")
    reconcile_newsletter(app, since=None)
    emulator.webhooks.drop_next(times=2)
    emulator.unsubscribe_member("gone@example.com")  # for the pull
    leave_earlier(emulator, "stale@example.com", minutes=120)  # before the pull's window
    subscribe(app, "new@example.com")
    erased = ["refused@example.com", "erased@example.com"]  # the first erasure is refused
    services(app).mailing_list.upsert_members([Contact(e) for e in erased])
    emulator.faults.fail_next("POST /3.0/lists/*/actions/delete-permanent", status=400)
    with db.session_scope(write=True) as session:
        for name, provider_status in (("back", "unsubscribed"), ("stale", None)):
            sub = subscriptions.find(session, f"{name}@example.com")
            assert sub is not None
            sub.provider_status, sub.provider_synced_at = provider_status, None
        subscriptions.unsubscribe(session, "bye@example.com")
        for n, email in enumerate(erased):
            outbox.enqueue(session, NEWSLETTER_DELETE, f"customer-{n}", {"email": email})
        bystander = subscriptions.find(session, "bystander@example.com")
        assert bystander is not None
        bystander_id = bystander.id

    interloper = Interloper(str(db.engine.url.database), bystander_id)
    event.listen(db.engine, "after_cursor_execute", interloper)
    try:
        report = reconcile_newsletter(app, since=datetime.now(UTC) - timedelta(minutes=30))
    finally:
        event.remove(db.engine, "after_cursor_execute", interloper)
        interloper.connection.close()

    assert report.failed == 1, report.notes  # the refused erasure, to be tried again
    assert interloper.got_through > 0 and interloper.refused > 0
    assert remote_status(emulator, "erased@example.com") is None
    with db.session_scope() as session:
        waiting = session.scalars(
            select(OutboxEntry).where(
                OutboxEntry.topic == NEWSLETTER_DELETE, OutboxEntry.status == "pending"
            )
        )
        assert [e.payload for e in waiting] == [{"email": "refused@example.com"}]
    assert local_status(app, "gone@example.com") == "unsubscribed"
    assert record(app, "back@example.com").provider_status == "pending"
    assert record(app, "new@example.com").provider_synced_at is not None
    assert local_status(app, "stale@example.com") == "unsubscribed"
    assert remote_status(emulator, "bye@example.com") == "unsubscribed"
    assert record(app, "bystander@example.com").consent_source == (
        f"webhook {interloper.got_through}"
    )
