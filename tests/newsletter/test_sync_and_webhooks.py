"""Pulling changes back (pagination, since), audience webhooks, retries, connection limit."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from flask import Flask, request

from emulators.common import LiveServer, wsgi_sender
from emulators.mailchimp import MailchimpEmulator
from storefront.http_retry import RetryPolicy
from storefront.mailchimp.client import MailchimpProvider, parse_webhook
from storefront.mailchimp.provider import (
    Contact,
    MemberStatus,
    NewsletterTransientError,
    WebhookMalformed,
)
from tests.newsletter.conftest import API_KEY, LIST_ID
from tests.support.timing import CLIENT_TIMEOUT, HELD_FOR


def test_changed_since_pages_through_more_than_1000(provider, emulator, clock) -> None:
    provider.upsert_members(Contact(f"fan{n}@example.com") for n in range(2300))
    since = clock.now
    clock.advance(minutes=5)
    for n in range(1500):
        emulator.audience.provider_side_status(f"fan{n}@example.com", "unsubscribed")
    for n in range(1500, 1510):
        emulator.clean_member(f"fan{n}@example.com")
    emulator.calls.clear()
    changes = list(provider.changed_since(since))
    assert len(changes) == 1510
    assert len({c.email for c in changes}) == 1510
    by_status = {s: sum(c.status is s for c in changes) for s in MemberStatus}
    assert by_status[MemberStatus.UNSUBSCRIBED] == 1500
    assert by_status[MemberStatus.CLEANED] == 10
    assert changes[0].changed_at == since + timedelta(minutes=5)
    # unsubscribed: 1000 + 500; cleaned: 1 page; archived: 1 empty page
    assert emulator.calls["list_members"] == 4


def test_changed_since_excludes_older_changes_and_includes_archived(
    provider, emulator, clock
) -> None:
    provider.upsert_members([Contact("old@example.com"), Contact("new@example.com")])
    emulator.unsubscribe_member("old@example.com")
    since = clock.advance(minutes=1)
    clock.advance(minutes=1)
    emulator.audience.archive("new@example.com")
    changes = list(provider.changed_since(since))
    assert [(c.email, c.status) for c in changes] == [("new@example.com", MemberStatus.ARCHIVED)]


def test_changed_since_page_size_is_bounded(provider) -> None:
    with pytest.raises(ValueError, match="page_size"):
        list(provider.changed_since(provider_now(), page_size=1001))


def provider_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_the_emulator_refuses_pages_over_1000(emulator) -> None:
    with httpx.Client(transport=httpx.WSGITransport(app=emulator)) as http:
        response = http.get(
            f"http://m/3.0/lists/{LIST_ID}/members?count=1001", auth=("any", API_KEY)
        )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_provider_side_unsubscribe_posts_a_form_webhook(clock) -> None:
    shop = Flask("shop")
    received: list[dict[str, str]] = []

    @shop.post("/webhooks/mailchimp/<secret>")
    def hook(secret: str):
        received.append({"secret": secret, "content_type": request.content_type, **request.form})
        return "", 200

    emulator = MailchimpEmulator(
        api_key=API_KEY,
        list_id=LIST_ID,
        webhook_url="http://shop.test/webhooks/mailchimp/s3cret",
        webhook_sender=wsgi_sender(shop),
        clock=clock,
    )
    provider = MailchimpProvider(
        api_key=API_KEY,
        list_id=LIST_ID,
        base_url="http://m/3.0",
        transport=httpx.WSGITransport(app=emulator),
    )
    provider.upsert_member(Contact("fester@example.com", {"FNAME": "Fester"}))
    emulator.unsubscribe_member("fester@example.com", reason="manual")
    [form] = received
    assert form["secret"] == "s3cret"
    assert form["content_type"] == "application/x-www-form-urlencoded"
    notice = provider.parse_webhook(form)
    assert notice.kind == "unsubscribe"
    assert notice.email == "fester@example.com"
    assert notice.list_id == LIST_ID
    assert notice.action == "unsub"
    assert notice.reason == "manual"
    assert notice.merges["FNAME"] == "Fester"
    assert notice.fired_at == clock.now
    provider.close()


def test_parse_webhook_variants() -> None:
    cleaned = parse_webhook(
        {"type": "cleaned", "fired_at": "2026-11-02 10:00:00", "data[email]": "X@Example.com"}
    )
    assert (cleaned.kind, cleaned.email) == ("cleaned", "x@example.com")
    upemail = parse_webhook(
        {"type": "upemail", "data[new_email]": "new@example.com", "data[old_email]": "o@e.com"}
    )
    assert (upemail.new_email, upemail.old_email) == ("new@example.com", "o@e.com")
    with pytest.raises(WebhookMalformed):
        parse_webhook({"type": "nonsense", "data[email]": "a@b.c"})
    with pytest.raises(WebhookMalformed):
        parse_webhook({"type": "unsubscribe"})


def test_5xx_and_429_are_retried_with_bounds(provider, emulator, sleeps) -> None:
    provider.upsert_member(Contact("a@example.com"))
    emulator.faults.fail_next("GET /3.0/lists/*/members/*", times=1, status=503)
    emulator.faults.fail_next("GET /3.0/lists/*/members/*", times=1, status=429)
    assert provider.get_member("a@example.com").status is MemberStatus.SUBSCRIBED
    assert emulator.calls["get_member"] == 3
    assert len(sleeps) == 2
    emulator.faults.fail_next("GET /3.0/lists/*/members/*", times=5, status=500)
    with pytest.raises(NewsletterTransientError):
        provider.get_member("a@example.com")
    assert emulator.calls["get_member"] == 6


def test_a_timeout_is_retried(clock) -> None:
    emulator = MailchimpEmulator(api_key=API_KEY, list_id=LIST_ID, clock=clock)
    emulator.faults.timeout_next("GET /3.0/lists/*/members/*", delay=HELD_FOR)
    with LiveServer(emulator) as server:
        provider = MailchimpProvider(
            api_key=API_KEY,
            list_id=LIST_ID,
            base_url=f"{server.url}/3.0",
            timeout=CLIENT_TIMEOUT,
            retry=RetryPolicy(attempts=2, base_delay=0.01),
        )
        with provider:
            assert provider.get_member("nobody@example.com") is None
    assert emulator.calls["get_member"] == 2  # the timed-out attempt, then the retry


#: A safety net only: every wait below is released by the test itself long before.
SAFETY = 60


def test_client_stays_within_10_connections(clock) -> None:
    # The first two PUTs (the update path fans them out) wait for each other: that proves
    # the client does run requests side by side — the upper bound means nothing otherwise —
    # whatever the machine's speed.
    first_two = threading.Barrier(2, timeout=SAFETY)
    puts: list[int] = []
    lock = threading.Lock()

    def hold(environ: dict[str, object]) -> None:
        if environ["REQUEST_METHOD"] != "PUT":
            return
        with lock:
            puts.append(1)
            mine = len(puts)
        if mine <= 2:
            first_two.wait()

    emulator = MailchimpEmulator(
        api_key=API_KEY, list_id=LIST_ID, clock=clock, latency=0.02, hold=hold
    )
    with LiveServer(emulator) as server:
        provider = MailchimpProvider(
            api_key=API_KEY, list_id=LIST_ID, base_url=f"{server.url}/3.0", timeout=5
        )
        with provider:
            provider.upsert_members(Contact(f"p{n}@example.com") for n in range(60))
            # All 60 now exist: the update path fans out PUTs on a thread pool.
            result = provider.upsert_members(Contact(f"p{n}@example.com") for n in range(60))
            # A second caller thread shares the same provider (and its semaphore).
            worker = threading.Thread(
                target=lambda: [provider.get_member(f"p{n}@example.com") for n in range(30)]
            )
            worker.start()
            provider.upsert_members(Contact(f"p{n}@example.com") for n in range(30))
            worker.join()
    assert len(result.updated) == 60
    assert len(puts) >= 2 and not first_two.broken  # two PUTs did meet in flight
    assert emulator.too_many_connections == 0
    assert 2 <= emulator.peak_connections <= 10


def test_the_emulator_answers_429_beyond_10_connections(clock) -> None:
    # Ten requests are held open inside the emulator until the test lets them go; the
    # barrier proves all ten are in flight before the eleventh is sent.
    ten_in_flight = threading.Barrier(11, timeout=SAFETY)  # ten held requests + the test
    release = threading.Event()

    def hold(_environ: dict[str, object]) -> None:
        ten_in_flight.wait()
        assert release.wait(SAFETY)

    emulator = MailchimpEmulator(api_key=API_KEY, list_id=LIST_ID, clock=clock, hold=hold)
    statuses: list[int] = []
    with LiveServer(emulator) as server, httpx.Client(timeout=SAFETY) as http:
        url = f"{server.url}/3.0/ping"

        def hit() -> None:
            statuses.append(http.get(url, auth=("x", API_KEY)).status_code)

        threads = [threading.Thread(target=hit) for _ in range(10)]
        for t in threads:
            t.start()
        ten_in_flight.wait()
        eleventh = http.get(url, auth=("x", API_KEY))
        release.set()
        for t in threads:
            t.join()
    assert eleventh.status_code == 429
    assert eleventh.json()["detail"] == (
        "You have exceeded the limit of 10 simultaneous connections."
    )
    assert statuses == [200] * 10
    assert (emulator.too_many_connections, emulator.peak_connections) == (1, 11)


def test_a_batch_that_timed_out_after_commit_is_safely_retried(clock) -> None:
    emulator = MailchimpEmulator(api_key=API_KEY, list_id=LIST_ID, clock=clock)
    emulator.faults.timeout_next(f"POST /3.0/lists/{LIST_ID}", delay=HELD_FOR, after_commit=True)
    with LiveServer(emulator) as server:
        provider = MailchimpProvider(
            api_key=API_KEY,
            list_id=LIST_ID,
            base_url=f"{server.url}/3.0",
            timeout=CLIENT_TIMEOUT,
            retry=RetryPolicy(attempts=2, base_delay=0.01),
        )
        with provider:
            result = provider.upsert_members([Contact("a@example.com"), Contact("b@example.com")])
            # The first attempt created both; the retry found them and only updated fields.
            assert sorted(result.updated) == ["a@example.com", "b@example.com"]
            assert result.created == ()
            assert provider.get_member("a@example.com").status is MemberStatus.SUBSCRIBED
    assert emulator.calls["batch"] == 2
    assert emulator.calls["put_member"] == 2
