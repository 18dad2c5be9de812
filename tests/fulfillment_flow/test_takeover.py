"""Claimed work after a crash: a live worker's heartbeat keeps its claim for as long as the
work takes, a dead worker's claim lapses within one lease, and a worker whose claim lapsed
(its process stalled) never makes the outside call, so nothing is printed twice.

The whole story with real processes (the leading sync process killed with SIGKILL in the
middle of a Gelato call, the other one taking over) is in ``tests/rehearsal``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from storefront.container import services
from storefront.db import Database
from storefront.fulfillment.push import PushReport, push_one
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.services import push

TOPIC = "gelato.push"
LEASE = timedelta(seconds=45)


def test_the_heartbeat_keeps_a_live_claim_and_a_dead_ones_lapses_within_a_lease(
    db_url: str,
) -> None:
    db = Database(db_url)
    with db.session_scope(write=True) as session:
        outbox.enqueue(session, TOPIC, "SF-HEART1", {"order_id": 1})
    start = datetime(2031, 1, 6, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        (mine,) = outbox.claim(db, TOPIC, "worker-a", lease=LEASE)
        clock.move_to(start + timedelta(seconds=40))
        assert outbox.renew(db, "worker-a", [mine.id], LEASE) == 1  # a beat
        clock.move_to(start + timedelta(seconds=80))  # past the first lease: the beat holds
        assert outbox.claim(db, TOPIC, "worker-b", lease=LEASE) == []
        # worker-a dies here: no more beats. One lease after its last one, the entry is due.
        clock.move_to(start + timedelta(seconds=40) + LEASE + timedelta(seconds=1))
        (taken,) = outbox.claim(db, TOPIC, "worker-b", lease=LEASE)
        assert taken.id == mine.id
        assert taken.worker == "worker-b"
        assert outbox.renew(db, "worker-a", [mine.id], LEASE) == 0  # it is not a's any more
    db.dispose()


def _locked_until(db: Database, entry_id: int) -> datetime | None:
    with db.session_scope() as session:
        return session.execute(
            select(OutboxEntry.locked_until).where(OutboxEntry.id == entry_id)
        ).scalar_one()


def test_the_heartbeat_thread_renews_while_the_work_goes_on_and_stops_after(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url)
    with db.session_scope(write=True) as session:
        outbox.enqueue(session, TOPIC, "SF-HEART2", {"order_id": 2})
    lease = timedelta(seconds=0.3)
    (entry,) = outbox.claim(db, TOPIC, "worker-a", lease=lease)
    claimed_until = _locked_until(db, entry.id)
    assert claimed_until is not None
    beat = outbox.Heartbeat(db, "worker-a", [entry.id], lease)
    with beat:
        deadline = time.monotonic() + 60  # a safety net: the loop ends at the second beat
        while beat.beats < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert beat.beats >= 2
        renewed = _locked_until(db, entry.id)
        assert renewed is not None and renewed > claimed_until
        with db.session_scope(write=True) as session:
            outbox.complete(session, entry.id)  # the work is done: nothing left to hold
        beat._thread.join(60)
        assert not beat.is_alive()
    assert _locked_until(db, entry.id) is None
    db.dispose()


def test_a_worker_whose_claim_lapsed_does_not_call_gelato(printshop: Printshop) -> None:
    app = printshop.app
    paid_order(app, "SF-STALL01")
    db = services(app).db
    # Worker a claims and stalls past its lease (here: a lease that is over at once)…
    (stalled,) = outbox.claim(db, TOPIC, "stalled-worker", lease=timedelta(seconds=-1))
    # …worker b takes the entry over and is busy with it when a wakes up.
    (taken,) = outbox.claim(db, TOPIC, "worker-b", lease=LEASE)
    late = PushReport()
    push_one(db, services(app).gelato, stalled, late, order_type="order")
    assert late.skipped == 1
    assert "claim lapsed" in late.notes[0]
    assert printshop.gelato.calls["create_order"] == 0
    done = PushReport()
    push_one(db, services(app).gelato, taken, done, order_type="order")
    assert done.pushed == 1
    assert len(printshop.gelato.orders_for("SF-STALL01")) == 1
    assert push(app).pushed == 0
