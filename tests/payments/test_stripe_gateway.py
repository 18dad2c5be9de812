"""The real Stripe adapter (official SDK) against the Stripe emulator on a live local port."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import stripe

from emulators.common import LiveServer
from emulators.stripe import StripeEmulator, sign_payload
from storefront.gateways.port import (
    Line,
    ProviderRejected,
    ProviderUnavailable,
    SignatureError,
)
from storefront.gateways.stripe_gateway import StripeGateway
from tests.payments.support import (
    SHOP,
    STRIPE_SECRET,
    FakeClock,
    Inbox,
    an_hour_ago,
    checkout_request,
    submit_form,
)


def pay(browser: httpx.Client, url: str, action: str = "pay") -> httpx.Response:
    page = browser.get(url)
    assert page.status_code == 200
    assert "Pay 69.45 EUR" in page.text
    return submit_form(url, page, browser, action)


def test_card_checkout_pays_and_sends_a_verifiable_webhook(
    stripe_gateway: StripeGateway,
    stripe_emu: StripeEmulator,
    stripe_inbox: Inbox,
    browser: httpx.Client,
) -> None:
    request = checkout_request()
    started = stripe_gateway.start_checkout(request)
    assert started.provider == "stripe"
    assert started.provider_ref.startswith("cs_test_")
    assert started.redirect_url.endswith(f"/pay/{started.provider_ref}")

    session = stripe_emu.sessions[started.provider_ref]
    assert session["client_reference_id"] == "1042"
    assert session["metadata"] == {"order_id": "1042", "order_number": "SF-1042"}
    assert session["amount_total"] == 2 * 2500 + 1450 + 495 == request.total
    assert session["currency"] == "eur"
    assert session["customer_email"] == "shopper@example.com"
    assert 30 * 60 < session["expires_at"] - time.time() <= 24 * 3600
    assert stripe_gateway.get_status(started.provider_ref).state == "open"

    redirect = pay(browser, started.redirect_url)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == (
        f"{SHOP}/checkout/return?session_id={started.provider_ref}"
    )

    body, headers = stripe_inbox.last("checkout.session.completed")
    assert headers["Stripe-Signature"].startswith("t=")
    event = stripe_gateway.parse_event(body, headers)
    assert event.kind == "payment.paid"
    assert event.order_ref == "1042"
    assert event.provider_ref == started.provider_ref
    assert event.amount == request.total and event.currency == "EUR"
    assert event.payment_id and event.payment_id.startswith("pi_")

    status = stripe_gateway.get_status(started.provider_ref)
    assert status.state == "paid" and status.is_paid
    assert status.payment_id == event.payment_id
    assert (status.amount, status.currency, status.order_ref) == (request.total, "EUR", "1042")
    # The order id travels on the PaymentIntent too (refund and charge events carry it).
    intent = stripe_emu.payment_intents[status.payment_id]
    assert intent["metadata"] == {"order_id": "1042", "order_number": "SF-1042"}
    assert stripe_inbox.received[0][0] == f"{SHOP}/webhooks/stripe"


def test_declined_card_keeps_the_session_open(
    stripe_gateway: StripeGateway, stripe_inbox: Inbox, browser: httpx.Client
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    answer = pay(browser, started.redirect_url, "decline")
    assert answer.status_code == 402
    assert "Your card was declined." in answer.text
    assert stripe_gateway.get_status(started.provider_ref).state == "open"
    assert "checkout.session.completed" not in stripe_inbox.types()
    # The shopper can still pay afterwards.
    assert pay(browser, started.redirect_url).status_code == 303
    assert stripe_gateway.get_status(started.provider_ref).state == "paid"


@pytest.mark.parametrize(
    ("succeeded", "final_state", "final_type"),
    [
        (True, "paid", "checkout.session.async_payment_succeeded"),
        (False, "failed", "checkout.session.async_payment_failed"),
    ],
)
def test_delayed_payment_is_pending_until_it_settles(
    stripe_gateway: StripeGateway,
    stripe_emu: StripeEmulator,
    stripe_inbox: Inbox,
    browser: httpx.Client,
    succeeded: bool,
    final_state: str,
    final_type: str,
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    assert pay(browser, started.redirect_url, "pay_later").status_code == 303

    body, headers = stripe_inbox.last("checkout.session.completed")
    completed = stripe_gateway.parse_event(body, headers)
    assert completed.kind == "payment.pending"  # completed, but payment_status is unpaid
    assert stripe_gateway.get_status(started.provider_ref).state == "pending"

    stripe_emu.settle_async(started.provider_ref, succeeded=succeeded)
    body, headers = stripe_inbox.last(final_type)
    settled = stripe_gateway.parse_event(body, headers)
    assert settled.kind == ("payment.paid" if succeeded else "payment.failed")
    assert settled.order_ref == "1042"
    status = stripe_gateway.get_status(started.provider_ref)
    assert status.state == final_state
    assert (status.failure_reason is None) == succeeded


def test_session_expires_on_command_and_at_expires_at(
    stripe_gateway: StripeGateway,
    stripe_inbox: Inbox,
    stripe_clock: FakeClock,
    browser: httpx.Client,
) -> None:
    first = stripe_gateway.start_checkout(checkout_request())
    assert stripe_gateway.expire(first.provider_ref).state == "expired"
    event = stripe_gateway.parse_event(*_last_signed(stripe_inbox, "checkout.session.expired"))
    assert (event.kind, event.provider_ref) == ("checkout.expired", first.provider_ref)
    with pytest.raises(ProviderRejected):  # only open sessions can be expired
        stripe_gateway.expire(first.provider_ref)

    expires_at = datetime.now(UTC) + timedelta(minutes=45)
    second = stripe_gateway.start_checkout(checkout_request(attempt=2, expires_at=expires_at))
    assert stripe_gateway.get_status(second.provider_ref).state == "open"
    stripe_clock.advance(46 * 60)
    assert stripe_gateway.get_status(second.provider_ref).state == "expired"
    assert stripe_inbox.types().count("checkout.session.expired") == 2
    page = browser.get(second.redirect_url)
    assert "This checkout session is expired." in page.text


def _last_signed(inbox: Inbox, event_type: str) -> tuple[bytes, dict[str, str]]:
    return inbox.last(event_type)


def signed(header: str | None) -> dict[str, str]:
    """The webhook's headers carrying ``header`` as its Stripe-Signature (none if None)."""
    return {} if header is None else {"Stripe-Signature": header}


def test_refunds_partial_then_rest_then_refused(
    stripe_gateway: StripeGateway,
    stripe_inbox: Inbox,
    browser: httpx.Client,
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    pay(browser, started.redirect_url)
    payment_id = stripe_gateway.get_status(started.provider_ref).payment_id
    assert payment_id

    partial = stripe_gateway.refund(payment_id, 1000, "EUR", "refund-1")
    assert (partial.state, partial.amount, partial.currency) == ("succeeded", 1000, "EUR")
    assert partial.payment_id == payment_id
    event = stripe_gateway.parse_event(*_last_signed(stripe_inbox, "charge.refunded"))
    assert (event.kind, event.order_ref, event.amount) == ("refund.updated", "1042", 1000)
    assert (event.refund_id, event.refund_state) == (partial.refund_id, "succeeded")

    with pytest.raises(ProviderRejected) as too_much:
        stripe_gateway.refund(payment_id, 10_000, "EUR", "refund-2")
    assert too_much.value.code == "amount_too_large"
    assert too_much.value.request_id and too_much.value.request_id.startswith("req_")

    rest = stripe_gateway.refund(payment_id, None, "EUR", "refund-3")
    assert rest.amount == 6945 - 1000
    assert stripe_gateway.get_refund(rest.refund_id) == rest
    # Same key again is a replay, not a second refund.
    assert stripe_gateway.refund(payment_id, None, "EUR", "refund-3") == rest
    with pytest.raises(ProviderRejected) as done:
        stripe_gateway.refund(payment_id, None, "EUR", "refund-4")
    assert done.value.code == "charge_already_refunded"
    assert stripe_inbox.types().count("refund.created") == 2


def test_krona_amounts_reach_stripe_in_its_hundredths_and_come_back_whole(
    stripe_gateway: StripeGateway,
    stripe_emu: StripeEmulator,
    stripe_inbox: Inbox,
    browser: httpx.Client,
) -> None:
    """ISK has no minor unit (ISO 4217), but Stripe's API still counts it in hundredths."""
    request = checkout_request(currency="ISK")  # 2 × 2500 + 1450 + 495 = 6945 krónur
    started = stripe_gateway.start_checkout(request)
    session = stripe_emu.sessions[started.provider_ref]
    assert session["amount_total"] == 694500 and session["currency"] == "isk"
    page = browser.get(started.redirect_url)
    assert "Pay 6945.00 ISK" in page.text  # the emulator's own reading of Stripe's units
    submit_form(started.redirect_url, page, browser, "pay")

    event = stripe_gateway.parse_event(*_last_signed(stripe_inbox, "checkout.session.completed"))
    assert (event.amount, event.currency) == (6945, "ISK") == (request.total, request.currency)
    status = stripe_gateway.get_status(started.provider_ref)
    assert (status.state, status.amount, status.currency) == ("paid", 6945, "ISK")
    assert status.payment_id

    refund = stripe_gateway.refund(status.payment_id, 1000, "ISK", "refund-isk")
    assert (refund.amount, refund.currency) == (1000, "ISK")
    assert stripe_emu.payment_intents[status.payment_id]["amount"] == 694500


def test_checkout_is_idempotent_per_order_attempt(
    stripe_gateway: StripeGateway, stripe_emu: StripeEmulator
) -> None:
    request = checkout_request()
    first = stripe_gateway.start_checkout(request)
    assert stripe_gateway.start_checkout(request) == first
    assert len(stripe_emu.sessions) == 1

    changed = checkout_request(shipping_amount=0)  # same order and attempt, other params
    with pytest.raises(ProviderRejected) as reused:
        stripe_gateway.start_checkout(changed)
    assert reused.value.code == "idempotency_error"

    second = stripe_gateway.start_checkout(checkout_request(attempt=2))
    assert second.provider_ref != first.provider_ref
    assert len(stripe_emu.sessions) == 2


def test_parse_event_refuses_forged_stale_and_unsigned_payloads(
    stripe_gateway: StripeGateway, stripe_inbox: Inbox, browser: httpx.Client
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    pay(browser, started.redirect_url)
    body, headers = _last_signed(stripe_inbox, "checkout.session.completed")
    header = headers["Stripe-Signature"]

    tampered = body.replace(b'"paid"', b'"PAID"', 1)
    assert tampered != body
    with pytest.raises(SignatureError):
        stripe_gateway.parse_event(tampered, signed(header))
    with pytest.raises(SignatureError):  # re-serialised JSON is not the signed bytes
        stripe_gateway.parse_event(json.dumps(json.loads(body)).encode(), signed(header))
    with pytest.raises(SignatureError):
        stripe_gateway.parse_event(body, signed(None))
    with pytest.raises(SignatureError):
        stripe_gateway.parse_event(
            body, signed(sign_payload(body, "whsec_other", int(time.time())))
        )
    stale = sign_payload(body, STRIPE_SECRET, int(time.time()) - 301)
    with pytest.raises(SignatureError, match="too old"):
        stripe_gateway.parse_event(body, signed(stale))
    # While a secret rotates Stripe sends several v1 values; one match is enough.
    fresh = sign_payload(body, STRIPE_SECRET, int(time.time()))
    rotated = fresh.replace(",v1=", ",v1=" + "0" * 64 + ",v1=")
    assert stripe_gateway.parse_event(body, signed(rotated)).kind == "payment.paid"
    # A signed body that is not an event is still refused.
    junk = b"not json"
    with pytest.raises(SignatureError):
        stripe_gateway.parse_event(
            junk, signed(sign_payload(junk, STRIPE_SECRET, int(time.time())))
        )


def test_emulator_signatures_pass_the_official_sdk_check(
    stripe_gateway: StripeGateway, stripe_inbox: Inbox, browser: httpx.Client
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    pay(browser, started.redirect_url)
    body, headers = _last_signed(stripe_inbox, "checkout.session.completed")
    header = headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE_SECRET, 300)


def test_server_errors_are_retried_then_reported_unavailable(
    stripe_gateway: StripeGateway, stripe_emu: StripeEmulator
) -> None:
    stripe_emu.faults.fail_next("POST /v1/checkout/sessions", times=1, status=500)
    started = stripe_gateway.start_checkout(checkout_request())  # the SDK's retry succeeds
    assert len(stripe_emu.sessions) == 1

    stripe_emu.faults.fail_next("GET /v1/checkout/sessions/*", times=3, status=503)
    with pytest.raises(ProviderUnavailable) as failure:
        stripe_gateway.get_status(started.provider_ref)
    assert failure.value.retryable
    assert failure.value.http_status == 503
    assert failure.value.request_id and failure.value.request_id.startswith("req_")
    assert stripe_emu.faults.armed() == []


def test_timeouts_are_unavailable_and_a_stored_create_is_replayed(
    stripe_server: LiveServer, stripe_emu: StripeEmulator, stripe_gateway: StripeGateway
) -> None:
    impatient = StripeGateway.create(
        api_key="sk_test_local",
        webhook_secret=STRIPE_SECRET,
        api_base=stripe_server.url,
        timeout=0.5,
        max_network_retries=0,
    )
    stripe_emu.faults.timeout_next("POST /v1/checkout/sessions", delay=1.2)
    with pytest.raises(ProviderUnavailable):
        impatient.start_checkout(checkout_request())
    assert stripe_emu.sessions == {}  # this timeout happened before anything was stored

    # "Did it happen?": the session is stored, then the answer is too late. Retrying with
    # the same idempotency key gets the stored session instead of a second one.
    stripe_emu.faults.timeout_next("POST /v1/checkout/sessions", delay=1.2, after_commit=True)
    with pytest.raises(ProviderUnavailable):
        impatient.start_checkout(checkout_request())
    assert len(stripe_emu.sessions) == 1
    started = stripe_gateway.start_checkout(checkout_request())
    assert list(stripe_emu.sessions) == [started.provider_ref]


def test_undelivered_events_are_listed_for_reconciliation(
    stripe_gateway: StripeGateway,
    stripe_emu: StripeEmulator,
    stripe_inbox: Inbox,
    browser: httpx.Client,
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    stripe_inbox.status = 500  # the shop is down while the payment happens
    pay(browser, started.redirect_url)
    missed = list(stripe_gateway.undelivered_events(an_hour_ago()))
    kinds = {e.type: e for e in missed}
    # Only types the shop subscribes to are asked for (not payment_intent.*).
    assert set(kinds) == {"checkout.session.completed"}
    assert kinds["checkout.session.completed"].kind == "payment.paid"
    assert kinds["checkout.session.completed"].order_ref == "1042"
    assert list(stripe_gateway.undelivered_events(datetime.now(UTC) + timedelta(hours=1))) == []

    stripe_inbox.status = 200
    stripe_emu.webhooks.retry_failed()
    assert list(stripe_gateway.undelivered_events(an_hour_ago())) == []


def test_bad_api_key_is_a_permanent_rejection(stripe_server: LiveServer) -> None:
    emu_key = StripeEmulator(api_key="sk_test_right")
    with LiveServer(emu_key) as server:
        gateway = StripeGateway.create(
            api_key="sk_test_wrong", webhook_secret=STRIPE_SECRET, api_base=server.url
        )
        with pytest.raises(ProviderRejected) as rejected:
            gateway.start_checkout(checkout_request())
    assert rejected.value.http_status == 401
    assert not rejected.value.retryable


def test_session_params_clamp_expiry_and_carry_shipping() -> None:
    gateway = StripeGateway(stripe.StripeClient("sk_test_x"), webhook_secret=STRIPE_SECRET)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    too_soon = checkout_request(expires_at=now + timedelta(minutes=5))
    params = gateway.session_params(too_soon, now=now)
    assert params["expires_at"] == int((now + timedelta(minutes=31)).timestamp())
    too_late = gateway.session_params(checkout_request(expires_at=now + timedelta(days=3)), now=now)
    assert too_late["expires_at"] < int((now + timedelta(hours=24)).timestamp())
    assert params["shipping_options"][0]["shipping_rate_data"]["fixed_amount"] == {
        "amount": 495,
        "currency": "eur",
    }
    assert params["payment_intent_data"]["metadata"]["order_id"] == "1042"
    assert "shipping_options" not in gateway.session_params(checkout_request(shipping_amount=0))


def test_a_webhook_receiver_may_call_the_api_back(
    stripe_gateway: StripeGateway,
    stripe_emu: StripeEmulator,
    stripe_inbox: Inbox,
    browser: httpx.Client,
) -> None:
    """Webhooks go out while the emulator holds no lock: a handler that re-fetches the
    object (as ours do) must not dead-lock the emulator."""
    started = stripe_gateway.start_checkout(checkout_request())
    pay(browser, started.redirect_url)
    payment_id = stripe_gateway.get_status(started.provider_ref).payment_id
    assert payment_id
    seen: list[str] = []

    def refetching_shop(url: str, body: bytes, headers: dict[str, str]) -> int:
        event = stripe_gateway.parse_event(body, headers)
        if event.refund_id:
            seen.append(stripe_gateway.get_refund(event.refund_id).state)
        return 200

    stripe_emu.webhooks.sender = refetching_shop
    stripe_gateway.refund(payment_id, 500, "EUR", "refund-callback")
    assert seen == ["succeeded", "succeeded"]  # refund.created and charge.refunded


def test_nobody_listening_is_unavailable() -> None:
    server = LiveServer(StripeEmulator())
    url = server.url
    server.stop()  # the port is closed now
    gateway = StripeGateway.create(
        api_key="sk_test_local", webhook_secret=STRIPE_SECRET, api_base=url, max_network_retries=0
    )
    with pytest.raises(ProviderUnavailable) as failure:
        gateway.get_status("cs_test_x")
    assert failure.value.http_status is None
    assert isinstance(failure.value.__cause__, stripe.APIConnectionError)


def test_sdk_works_against_an_emulator_mounted_under_a_path(browser: httpx.Client) -> None:
    """``storefront dev`` mounts the emulator at ``/_emulators/stripe`` next to the shop."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    inbox = Inbox()
    emu = StripeEmulator(webhook_url=f"{SHOP}/webhooks/stripe", sender=inbox)
    site = DispatcherMiddleware(lambda env, start: [], {"/_emulators/stripe": emu})
    with LiveServer(site) as server:
        base = f"{server.url}/_emulators/stripe"
        emu.public_base_url = base
        gateway = StripeGateway.create(
            api_key="sk_test_local", webhook_secret="whsec_local", api_base=base
        )
        started = gateway.start_checkout(checkout_request())
        assert started.redirect_url.startswith(f"{base}/pay/")
        assert pay(browser, started.redirect_url).status_code == 303
        assert gateway.get_status(started.provider_ref).state == "paid"
    assert gateway.parse_event(*_last_signed(inbox, "checkout.session.completed")).kind == (
        "payment.paid"
    )


def test_vat_reaches_stripe_as_an_inclusive_tax_rate_on_every_line(
    stripe_gateway: StripeGateway, stripe_emu: StripeEmulator, browser: httpx.Client
) -> None:
    """With VAT, every line (shipping too, as a line) carries one inclusive "VAT" TaxRate,
    created once; Stripe's page shows the tax included and charges the same total."""
    lines = (Line("Existential Dread Tee", 2500, 2), Line("Compost Happens Tote", 1450, 1))
    request = checkout_request(lines=lines, vat_amount=1109, vat_rate=Decimal("19"))
    started = stripe_gateway.start_checkout(request)
    session = stripe_emu.sessions[started.provider_ref]
    assert session["amount_total"] == request.total == 6945
    # Stripe taxes each line on its own: 50.00 -> 7.98, 14.50 -> 2.32, 4.95 -> 0.79
    assert session["total_details"]["amount_tax"] == 798 + 232 + 79
    (rate,) = stripe_emu.tax_rates.values()
    assert (rate["percentage"], rate["inclusive"], rate["display_name"]) == (19.0, True, "VAT")
    page = browser.get(started.redirect_url)
    assert "Tax (included)" in page.text and "11.09" in page.text
    again = stripe_gateway.start_checkout(replace(request, order_id="1043"))
    assert len(stripe_emu.tax_rates) == 1  # the rate is made once
    assert stripe_emu.sessions[again.provider_ref]["total_details"]["amount_tax"] == 1109


def test_an_unknown_tax_rate_is_refused_like_stripe_does(stripe_server: LiveServer) -> None:
    answer = httpx.post(
        f"{stripe_server.url}/v1/checkout/sessions",
        headers={"Authorization": "Bearer sk_test_local"},
        data={
            "mode": "payment",
            "success_url": "http://shop/ok",
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "eur",
            "line_items[0][price_data][unit_amount]": "1000",
            "line_items[0][price_data][product_data][name]": "Tee",
            "line_items[0][tax_rates][0]": "txr_nope",
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "line_items[0][tax_rates]"
