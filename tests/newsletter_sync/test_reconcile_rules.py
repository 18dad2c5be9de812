"""The newsletter reconcile, rule by rule, against the Mailchimp emulator: what each step
reads, changes, skips and fails, what a dry run would do, erasures, unsubscribes and
refusals, and the one-second rule between a leave and a new confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import select

from storefront.container import services
from storefront.mailchimp.client import subscriber_hash
from storefront.mailchimp.provider import Contact
from storefront.newsletter import services as subscriptions
from storefront.newsletter.models import Subscriber
from storefront.newsletter.services import NEWSLETTER_DELETE
from storefront.newsletter.sync import _came_back
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry
from tests.newsletter_sync.test_reconcile import (
    leave_earlier,
    local_status,
    remote_status,
    subscribe,
)
from tests.support.services import reconcile_newsletter


def record(app: Flask, email: str) -> Subscriber:
    with services(app).db.session_scope() as session:
        sub = subscriptions.find(session, email)
        assert sub is not None
        session.expunge(sub)
        return sub


def test_each_push_is_counted_and_recorded(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "a@example.com")
    subscribe(app, "b@example.com")
    report = reconcile_newsletter(app, since=None)
    assert (report.read, report.changed, report.failed, report.skipped) == (2, 2, 0, 0)
    assert report.items == 2
    for email in ("a@example.com", "b@example.com"):
        assert remote_status(emulator, email) == "subscribed"
        assert record(app, email).provider_synced_at is not None


def test_a_dry_run_says_what_it_would_do_and_does_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "new@example.com")
    subscribe(app, "leaving@example.com")
    subscribe(app, "back@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        subscriptions.unsubscribe(session, "leaving@example.com")
        sub = subscriptions.find(session, "back@example.com")
        assert sub is not None
        sub.provider_status, sub.provider_synced_at = "unsubscribed", None
    subscribe(app, "fresh@example.com")
    emulator.unsubscribe_member("new@example.com")
    with services(app).db.session_scope() as session:  # the webhook reached us: undo it
        sub = subscriptions.find(session, "new@example.com")
        assert sub is not None
        sub.status, sub.provider_status = "subscribed", None
    before = {e: remote_status(emulator, e) for e in ("leaving@example.com", "back@example.com")}
    report = reconcile_newsletter(app, since=None, dry_run=True)
    assert "new@example.com: unsubscribed at the provider" in report.notes
    assert "would push fresh@example.com" in report.notes
    assert "would ask back@example.com to confirm again" in report.notes
    assert "would unsubscribe leaving@example.com" in report.notes
    assert report.changed == 4
    assert {e: remote_status(emulator, e) for e in before} == before
    assert remote_status(emulator, "fresh@example.com") is None
    assert local_status(app, "new@example.com") == "subscribed"
    assert record(app, "leaving@example.com").provider_synced_at is None


def test_unsubscribes_are_sent_and_recorded(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "bye@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        subscriptions.unsubscribe(session, "bye@example.com")
    report = reconcile_newsletter(app, since=None)
    assert remote_status(emulator, "bye@example.com") == "unsubscribed"
    sub = record(app, "bye@example.com")
    assert (sub.status, sub.provider_status) == ("unsubscribed", "unsubscribed")
    assert sub.provider_synced_at is not None
    assert report.changed >= 1 and report.failed == 0
    again = reconcile_newsletter(app, since=None)
    assert again.changed == 0


def test_a_refused_unsubscribe_is_retried_next_time(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "stuck@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        subscriptions.unsubscribe(session, "stuck@example.com")
    emulator.faults.fail_next("PUT /3.0/lists/*", status=400, times=1)
    report = reconcile_newsletter(app, since=None)
    assert report.failed == 1
    assert any(n.startswith("stuck@example.com: unsubscribe not sent (") for n in report.notes)
    assert record(app, "stuck@example.com").provider_synced_at is None
    reconcile_newsletter(app, since=None)
    assert remote_status(emulator, "stuck@example.com") == "unsubscribed"


def test_a_refused_push_is_reported_and_left_for_next_time(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    emulator.throttle("spam@example.com")
    subscribe(app, "spam@example.com")
    subscribe(app, "fine@example.com")
    report = reconcile_newsletter(app, since=None)
    assert report.failed == 1
    assert any(n.startswith("spam@example.com: ") for n in report.notes)
    assert record(app, "spam@example.com").provider_synced_at is None
    assert record(app, "fine@example.com").provider_synced_at is not None


def test_a_cleaned_address_that_comes_back_is_refused_and_reported(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "bounce@example.com")
    reconcile_newsletter(app, since=None)
    emulator.clean_member("bounce@example.com")
    assert local_status(app, "bounce@example.com") == "cleaned"
    with services(app).db.session_scope() as session:  # they sign up again and confirm
        sub = subscriptions.find(session, "bounce@example.com")
        assert sub is not None
        sub.status, sub.provider_synced_at, sub.provider_status = "subscribed", None, "cleaned"
        sub.consent_at = datetime.now(UTC) + timedelta(minutes=1)
    report = reconcile_newsletter(app, since=None)
    assert remote_status(emulator, "bounce@example.com") == "cleaned"
    assert local_status(app, "bounce@example.com") == "cleaned"
    assert "bounce@example.com: stays cleaned (left at the provider)" in report.notes


def test_a_returning_person_the_provider_refuses_is_reported(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "back@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        sub = subscriptions.find(session, "back@example.com")
        assert sub is not None
        sub.provider_status, sub.provider_synced_at = "unsubscribed", None
    emulator.faults.fail_next("PUT /3.0/lists/*", status=400, times=1)
    report = reconcile_newsletter(app, since=None)
    assert report.failed == 1
    assert any(n.startswith("back@example.com: not re-subscribed (") for n in report.notes)
    assert record(app, "back@example.com").provider_status == "unsubscribed"
    report = reconcile_newsletter(app, since=None)
    assert "back@example.com: asked by the provider to confirm again" in report.notes
    sub = record(app, "back@example.com")
    assert (sub.status, sub.provider_status) == ("subscribed", "pending")
    assert remote_status(emulator, "back@example.com") == "pending"


def test_erasures_delete_at_the_provider_once(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "gone@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        outbox.enqueue(session, NEWSLETTER_DELETE, "customer-9", {"email": "gone@example.com"})
    assert reconcile_newsletter(app, since=None, dry_run=True).read == 0  # dry: no erasure
    assert remote_status(emulator, "gone@example.com") == "subscribed"
    emulator.faults.fail_next("POST /3.0/lists/*/actions/delete-permanent", status=500, times=10)
    first = reconcile_newsletter(app, since=None)
    assert first.failed == 1
    with services(app).db.session_scope() as session:
        entry = session.execute(
            select(OutboxEntry).where(OutboxEntry.topic == NEWSLETTER_DELETE)
        ).scalar_one()
        assert entry.status == "pending" and entry.last_error
        entry.available_at = entry.created_at
    emulator.faults.clear()
    second = reconcile_newsletter(app, since=None)
    assert (second.read, second.changed, second.failed) == (1, 1, 0)
    assert remote_status(emulator, "gone@example.com") is None
    with services(app).db.session_scope() as session:
        done = select(OutboxEntry.status).where(OutboxEntry.topic == NEWSLETTER_DELETE)
        assert session.execute(done).scalar_one() == "done"


def test_came_back_needs_a_confirmation_a_full_second_after_the_leave() -> None:
    left = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)

    def sub(status: str, consent: datetime | None) -> Subscriber:
        return Subscriber(email="x@example.com", status=status, consent_at=consent)

    assert _came_back(sub("subscribed", left + timedelta(seconds=1)), left)
    assert not _came_back(sub("subscribed", left + timedelta(milliseconds=999)), left)
    assert not _came_back(sub("subscribed", left - timedelta(days=1)), left)
    assert not _came_back(sub("pending", left + timedelta(days=1)), left)
    assert not _came_back(sub("subscribed", None), left)
    assert not _came_back(sub("subscribed", left + timedelta(days=1)), None)
    # the provider's time with an offset is the same instant: 14:00+02:00 is 12:00 UTC
    east = left.astimezone(timezone(timedelta(hours=2)))
    assert _came_back(sub("subscribed", left + timedelta(seconds=1)), east)
    assert not _came_back(sub("subscribed", left), east)


def test_known_leavers_are_skipped_not_rewritten(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "gone@example.com")
    reconcile_newsletter(app, since=None)
    emulator.unsubscribe_member("gone@example.com")  # the webhook tells us at once
    report = reconcile_newsletter(app, since=None)
    assert report.skipped == 1 and report.changed == 0
    assert report.read == 1


def test_a_provider_that_cannot_answer_after_a_push_changes_nothing_more(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "quiet@example.com")
    emulator.faults.fail_next("GET /3.0/lists/*/members/*", status=500, times=10)
    report = reconcile_newsletter(app, since=None)
    assert report.failed == 0
    assert local_status(app, "quiet@example.com") == "subscribed"
    assert remote_status(emulator, "quiet@example.com") == "subscribed"


def test_the_pull_reaches_fifteen_minutes_behind_the_last_good_run(shop) -> None:  # type: ignore[no-untyped-def]
    """A leave whose webhook never came, stamped by the provider shortly before our last good
    run began (its clock behind ours), is still pulled; older ones that run pulled already."""
    app, emulator = shop
    subscribe(app, "late@example.com")
    reconcile_newsletter(app, since=None)
    before = datetime.now(UTC)
    emulator.audience.provider_side_status("late@example.com", "unsubscribed")  # no webhook
    after = datetime.now(UTC)

    report = reconcile_newsletter(app, since=before + timedelta(minutes=14))
    assert "late@example.com: unsubscribed at the provider" in report.notes
    assert local_status(app, "late@example.com") == "unsubscribed"
    assert remote_status(emulator, "late@example.com") == "unsubscribed"

    beyond = reconcile_newsletter(app, since=after + timedelta(minutes=16))
    assert (beyond.read, beyond.changed, beyond.skipped) == (0, 0, 0)


def test_one_pull_handles_every_leaver_whoever_comes_first(shop) -> None:  # type: ignore[no-untyped-def]
    """Someone who came back, someone we already knew had left, and a dry run's preview never
    stop the rest of the pull: each leaver is looked at once and counted once."""
    app, emulator = shop
    people = ["back1", "back2", "known1", "known2", "gone", "bounced"]
    for name in people:
        subscribe(app, f"{name}@example.com")
    reconcile_newsletter(app, since=None)
    for name in ("back1", "back2"):  # left five minutes ago, then confirmed again on the shop
        leave_earlier(emulator, f"{name}@example.com")
        subscribe(app, f"{name}@example.com")
    for name in ("known1", "known2"):
        emulator.unsubscribe_member(f"{name}@example.com")  # the webhook told us at once
    # Someone who joined through Mailchimp's own form, unknown to the shop, leaves too.
    services(app).mailing_list.upsert_member(Contact("stranger@example.com"))
    emulator.webhooks.drop_next(times=3)  # these three webhooks are lost
    emulator.unsubscribe_member("gone@example.com")
    emulator.unsubscribe_member("stranger@example.com")
    emulator.clean_member("bounced@example.com")

    preview = reconcile_newsletter(app, since=None, dry_run=True)
    for line in (
        "gone@example.com: unsubscribed at the provider",
        "stranger@example.com: unsubscribed at the provider",
        "bounced@example.com: cleaned at the provider",
    ):
        assert line in preview.notes
    assert local_status(app, "gone@example.com") == "subscribed"

    report = reconcile_newsletter(app, since=None)
    # pulled: 7 leavers, of whom 2 came back and 2 were known; pushed: the 2 who came back
    assert (report.read, report.skipped, report.changed, report.failed) == (9, 4, 5, 0)
    for name, status in (("gone", "unsubscribed"), ("stranger", "unsubscribed")):
        sub = record(app, f"{name}@example.com")
        assert (sub.status, sub.provider_status) == (status, "unsubscribed")
    sub = record(app, "bounced@example.com")
    assert (sub.status, sub.provider_status) == ("cleaned", "cleaned")
    for name in ("back1", "back2"):
        sub = record(app, f"{name}@example.com")
        assert (sub.status, sub.provider_status) == ("subscribed", "pending")
        assert remote_status(emulator, f"{name}@example.com") == "pending"


def test_the_provider_holds_when_each_person_gave_consent(shop) -> None:  # type: ignore[no-untyped-def]
    """The push carries the time of the double opt-in, and a returning person's new one."""
    app, emulator = shop

    def opted_in_at(email: str) -> str:
        return str(emulator.audience.get(email)["timestamp_opt"])

    def stamp(moment: datetime | None) -> str:
        assert moment is not None
        return moment.astimezone(UTC).isoformat(timespec="seconds")

    subscribe(app, "new@example.com")
    subscribe(app, "phoenix@example.com")
    with services(app).db.session_scope() as session:  # they first signed up an hour ago
        sub = subscriptions.find(session, "phoenix@example.com")
        assert sub is not None
        sub.consent_at = datetime.now(UTC) - timedelta(hours=1)
    reconcile_newsletter(app, since=None)
    assert opted_in_at("new@example.com") == stamp(record(app, "new@example.com").consent_at)
    first = stamp(record(app, "phoenix@example.com").consent_at)
    assert opted_in_at("phoenix@example.com") == first

    leave_earlier(emulator, "phoenix@example.com")
    subscribe(app, "phoenix@example.com")  # a new double opt-in on the shop
    reconcile_newsletter(app, since=None)
    again = stamp(record(app, "phoenix@example.com").consent_at)
    assert again != first and opted_in_at("phoenix@example.com") == again


def test_every_push_is_tried_and_the_failures_add_up(shop) -> None:  # type: ignore[no-untyped-def]
    """Two returning people the provider refuses, a refused sign-up and a refused unsubscribe,
    and still the third returning person, the new subscriber and the other unsubscribe all
    go through; every refusal is counted and said."""
    app, emulator = shop
    for name in ("r1", "r2", "r3", "bye1", "bye2"):
        subscribe(app, f"{name}@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        for name in ("r1", "r2", "r3"):  # left at the provider, confirmed again on the shop
            sub = subscriptions.find(session, f"{name}@example.com")
            assert sub is not None
            sub.provider_status, sub.provider_synced_at = "unsubscribed", None
        for name in ("bye1", "bye2"):
            subscriptions.unsubscribe(session, f"{name}@example.com")
    emulator.throttle("spam@example.com")
    subscribe(app, "spam@example.com")
    subscribe(app, "fine@example.com")
    for name in ("r1", "r2", "bye1"):
        emulator.faults.fail_next(f"PUT /3.0/lists/*/members/{member_id(name)}", status=400)

    report = reconcile_newsletter(app, since=None)
    assert (report.read, report.changed, report.failed) == (7, 3, 4), report.notes
    for name in ("r1", "r2"):
        assert any(n.startswith(f"{name}@example.com: not re-subscribed (") for n in report.notes)
    assert "r3@example.com: asked by the provider to confirm again" in report.notes
    assert any(n.startswith("spam@example.com: ") for n in report.notes)
    assert any(n.startswith("bye1@example.com: unsubscribe not sent (") for n in report.notes)
    assert remote_status(emulator, "r3@example.com") == "pending"
    assert remote_status(emulator, "fine@example.com") == "subscribed"
    assert remote_status(emulator, "bye1@example.com") == "subscribed"  # tried next time
    assert remote_status(emulator, "bye2@example.com") == "unsubscribed"
    assert record(app, "r1@example.com").provider_status == "unsubscribed"  # tried next time
    assert record(app, "bye1@example.com").provider_synced_at is None


def member_id(name: str) -> str:
    return subscriber_hash(f"{name}@example.com")


def test_a_provider_that_cannot_say_about_one_person_still_says_about_the_next(shop) -> None:  # type: ignore[no-untyped-def]
    """After a push, each person's status is read back: one unanswered read does not stop the
    next, who left at the provider (the pull had not seen it) and is recorded as left."""
    app, emulator = shop
    for name in ("quiet", "leaver"):
        subscribe(app, f"{name}@example.com")
    reconcile_newsletter(app, since=None)
    emulator.webhooks.drop_next()
    emulator.unsubscribe_member("leaver@example.com")
    with services(app).db.session_scope() as session:  # both to be pushed again
        for name in ("quiet", "leaver"):
            sub = subscriptions.find(session, f"{name}@example.com")
            assert sub is not None
            sub.provider_synced_at = None
    emulator.faults.fail_next(f"GET /3.0/lists/*/members/{member_id('quiet')}", 10, 500)

    later = datetime.now(UTC) + timedelta(hours=1)  # the leave is before this pull's window
    report = reconcile_newsletter(app, since=later)
    assert "leaver@example.com: stays unsubscribed (left at the provider)" in report.notes
    sub = record(app, "leaver@example.com")
    assert (sub.status, sub.provider_status) == ("unsubscribed", "unsubscribed")
    assert local_status(app, "quiet@example.com") == "subscribed"


def test_each_erasure_is_tried_and_no_copy_of_the_address_is_kept(shop) -> None:  # type: ignore[no-untyped-def]
    """Erasures at the provider: refused ones wait with the provider's reason for the
    operator, and do not hold back the others; a done one keeps no copy of the address."""
    app, emulator = shop
    names = ["e1", "e2", "e3", "e4"]
    services(app).mailing_list.upsert_members([Contact(f"{n}@example.com") for n in names])
    with services(app).db.session_scope() as session:
        for n in names:
            outbox.enqueue(
                session, NEWSLETTER_DELETE, f"customer-{n}", {"email": f"{n}@example.com"}
            )
    emulator.faults.fail_next("POST /3.0/lists/*/actions/delete-permanent", status=400, times=2)

    report = reconcile_newsletter(app, since=None)
    assert (report.read, report.changed, report.failed) == (4, 2, 2)
    assert sorted(n for n in names if remote_status(emulator, f"{n}@example.com")) == names[:2]
    with services(app).db.session_scope() as session:
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)).all()
        assert [e.status for e in entries] == ["pending", "pending", "done", "done"]
        assert [e.payload for e in entries[2:]] == [{}, {}]
        for entry in entries[:2]:
            assert entry.payload == {"email": f"{names[entries.index(entry)]}@example.com"}
            assert entry.last_error == "Error: Injected failure: the request was not processed."


def test_one_run_erases_at_most_a_hundred_and_the_next_run_the_rest(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    emails = [f"p{n}@example.com" for n in range(101)]
    services(app).mailing_list.upsert_members([Contact(e) for e in emails])
    with services(app).db.session_scope() as session:
        for n, email in enumerate(emails):
            outbox.enqueue(session, NEWSLETTER_DELETE, f"customer-{n}", {"email": email})
    first = reconcile_newsletter(app, since=None)
    assert (first.read, first.changed, first.failed) == (100, 100, 0)
    assert sum(remote_status(emulator, e) is not None for e in emails) == 1
    second = reconcile_newsletter(app, since=None)
    assert (second.read, second.changed, second.failed) == (1, 1, 0)
    assert all(remote_status(emulator, e) is None for e in emails)
