"""Newsletter reconcile against the Mailchimp emulator: idempotent, dry runs change nothing,
and nobody who left at the provider is ever re-subscribed."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from emulators.mailchimp import MailchimpEmulator
from storefront.accounts import services as accounts
from storefront.container import services
from storefront.newsletter import services as subscriptions
from storefront.operations import privacy
from sync.context import JobContext
from sync.health import compute_health
from sync.jobs.newsletter import last_success
from sync.registry import load_jobs
from sync.runner import run_job
from tests.support.services import reconcile_newsletter

KEY, LIST = "abc-us21", "list1"
SECRET = "mc-hook-secret"


def subscribe(app: Flask, email: str) -> None:
    with services(app).db.session_scope() as session:
        subscriptions.sign_up(session, email, source="site-form", confirm_link="x")
        subscriptions.confirm(session, email)


def local_status(app: Flask, email: str) -> str | None:
    with services(app).db.session_scope() as session:
        sub = subscriptions.find(session, email)
        return sub.status if sub else None


def remote_status(emulator: MailchimpEmulator, email: str) -> str | None:
    member = emulator.audience.members.get(email.lower()) or next(
        (m for m in emulator.audience.members.values() if m["email_address"] == email), None
    )
    return member["status"] if member else None


def test_push_is_idempotent_and_dry_run_changes_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "ada@example.com")
    dry = reconcile_newsletter(app, since=None, dry_run=True)
    assert dry.changed == 1
    assert remote_status(emulator, "ada@example.com") is None
    first = reconcile_newsletter(app, since=None)
    assert first.changed == 1
    assert remote_status(emulator, "ada@example.com") == "subscribed"
    second = reconcile_newsletter(app, since=None)
    assert second.changed == 0


def test_left_at_provider_stays_unsubscribed_even_after_a_new_local_signup(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "leaver@example.com")
    reconcile_newsletter(app, since=None)
    emulator.webhooks.drop_next(times=5)  # the unsubscribe webhook is lost
    emulator.unsubscribe_member("leaver@example.com")
    # a stale local record (its consent older than the leaving) says "subscribed" again
    subscribe(app, "leaver@example.com")
    with services(app).db.session_scope() as session:
        sub = subscriptions.find(session, "leaver@example.com")
        assert sub is not None
        sub.status, sub.provider_synced_at, sub.provider_status = "subscribed", None, None
        sub.consent_at = datetime.now(UTC) - timedelta(days=3)
    report = reconcile_newsletter(app, since=None)
    assert remote_status(emulator, "leaver@example.com") == "unsubscribed"
    assert local_status(app, "leaver@example.com") == "unsubscribed"
    assert report.failed == 0
    reconcile_newsletter(app, since=None)
    assert remote_status(emulator, "leaver@example.com") == "unsubscribed"


def leave_earlier(emulator: MailchimpEmulator, email: str, *, minutes: int = 5) -> None:
    """The person unsubscribes at Mailchimp ``minutes`` ago (the emulator's clock set back)."""
    clock = emulator.audience.clock
    emulator.audience.clock = lambda: clock() - timedelta(minutes=minutes)
    try:
        emulator.unsubscribe_member(email)
    finally:
        emulator.audience.clock = clock


@pytest.mark.parametrize("webhook", ["delivered", "lost"])
def test_a_leaver_who_confirms_again_on_the_shop_gets_back_on_the_list(shop, webhook) -> None:  # type: ignore[no-untyped-def]
    """Unsubscribed at Mailchimp, then a fresh double opt-in on the shop: pushed as pending
    (Mailchimp refuses subscribed), Mailchimp mails its opt-in, the click subscribes them, and
    no later reconcile marks them left again."""
    app, emulator = shop
    subscribe(app, "phoenix@example.com")
    with services(app).db.session_scope() as session:  # they first signed up an hour ago
        sub = subscriptions.find(session, "phoenix@example.com")
        assert sub is not None
        sub.consent_at = datetime.now(UTC) - timedelta(hours=1)
    reconcile_newsletter(app, since=None)
    if webhook == "lost":
        emulator.webhooks.drop_next(times=5)
    leave_earlier(emulator, "phoenix@example.com")
    assert remote_status(emulator, "phoenix@example.com") == "unsubscribed"
    if webhook == "lost":
        reconcile_newsletter(app, since=None)  # the pull notices instead
    assert local_status(app, "phoenix@example.com") == "unsubscribed"
    # They come back: sign up on the shop and click our confirmation link.
    subscribe(app, "phoenix@example.com")
    assert local_status(app, "phoenix@example.com") == "subscribed"

    report = reconcile_newsletter(app, since=None)
    assert report.failed == 0, report.notes
    assert remote_status(emulator, "phoenix@example.com") == "pending"
    assert emulator.audience.confirmations_sent == ["phoenix@example.com"]
    assert local_status(app, "phoenix@example.com") == "subscribed"
    emulator.confirm_member("phoenix@example.com")  # the click in Mailchimp's opt-in e-mail

    for _ in range(2):
        reconcile_newsletter(app, since=None)
        assert remote_status(emulator, "phoenix@example.com") == "subscribed"
        assert local_status(app, "phoenix@example.com") == "subscribed"
    assert emulator.audience.confirmations_sent == ["phoenix@example.com"]  # asked once


def test_webhook_unsubscribe_is_confirmed_by_rereading(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "eve@example.com")
    reconcile_newsletter(app, since=None)
    emulator.unsubscribe_member("eve@example.com")  # sends the audience webhook to the shop
    assert local_status(app, "eve@example.com") == "unsubscribed"
    client = app.test_client()
    forged = client.post(
        f"/webhooks/mailchimp/{SECRET}",
        data={
            "type": "unsubscribe",
            "data[email]": "ada@example.com",
            "data[list_id]": LIST,
            "fired_at": "2026-11-22 10:00:00",
        },
    )
    assert forged.get_json()["outcome"] == "not confirmed by the provider"
    assert client.post("/webhooks/mailchimp/wrong", data={}).status_code == 404
    assert client.get(f"/webhooks/mailchimp/{SECRET}").status_code == 200


def test_local_unsubscribe_is_sent(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "bob@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        subscriptions.unsubscribe(session, "bob@example.com")
    assert reconcile_newsletter(app, since=None).changed == 1
    assert remote_status(emulator, "bob@example.com") == "unsubscribed"


def test_erased_customer_is_deleted_permanently_at_the_provider(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    subscribe(app, "gone@example.com")
    reconcile_newsletter(app, since=None)
    with services(app).db.session_scope() as session:
        customer = accounts.register(session, "gone@example.com", "correct horse battery")
        accounts.mark_email_verified(session, customer)  # only the proven owner erases it
        privacy.forget(session, customer.id, actor="customer")
    reconcile_newsletter(app, since=None)
    assert remote_status(emulator, "gone@example.com") is None


def test_a_refused_signup_makes_a_partial_run_that_still_moves_the_pull_window(shop) -> None:  # type: ignore[no-untyped-def]
    app, emulator = shop
    load_jobs()
    subscribe(app, "fan@example.com")
    subscribe(app, "throttled@example.com")
    emulator.throttle("throttled@example.com")

    result = run_job(app, "newsletter")

    assert (result.outcome, result.counts.read, result.counts.failed) == ("partial", 2, 1)
    assert remote_status(emulator, "fan@example.com") == "subscribed"
    health = compute_health(app, sources=[])
    assert [(a.severity, a.code) for a in health.alerts] == [("warning", "job_partial")]
    # The pull from the provider worked: the next run need not look further back.
    ctx = JobContext(app=app, settings=services(app).settings, db=services(app).db, job_id="x")
    assert last_success(ctx) == result.started_at
