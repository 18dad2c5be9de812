"""The real PayPal client and adapter against the PayPal emulator."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from emulators.common import LiveServer
from emulators.paypal import PayPalEmulator
from storefront.gateways.paypal_client import PayPalClient
from storefront.gateways.paypal_gateway import (
    PayPalGateway,
    from_paypal_value,
    to_paypal_value,
)
from storefront.gateways.port import (
    Line,
    PaymentDeclined,
    ProviderRejected,
    ProviderUnavailable,
)
from storefront.vat import vat_inside
from tests.payments.support import (
    PAYPAL_WEBHOOK_ID,
    SHOP,
    FakeClock,
    Inbox,
    approve,
    checkout_request,
)
from tests.support.timing import CLIENT_TIMEOUT, HELD_FOR


def approved_order(gateway: PayPalGateway, http: httpx.Client, **overrides: object) -> str:
    started = gateway.start_checkout(checkout_request(**overrides))
    redirect = approve(http, started.redirect_url)
    assert redirect.status_code == 302
    return started.provider_ref


def test_token_is_cached_and_refreshed_after_expiry(
    paypal_client: PayPalClient, paypal_emu: PayPalEmulator, paypal_clock: FakeClock
) -> None:
    order = paypal_client.create_order(
        PayPalGateway(paypal_client, webhook_id="x").order_body(checkout_request()), "req-1"
    )
    for _ in range(5):
        paypal_client.get_order(order["id"])
    assert paypal_emu.token_requests == 1

    paypal_clock.advance(paypal_emu.token_lifetime - 60)  # inside the safety margin
    paypal_client.get_order(order["id"])
    assert paypal_emu.token_requests == 2

    paypal_emu.tokens.clear()  # PayPal revoked it early: one 401, one new token, success
    assert paypal_client.get_order(order["id"])["id"] == order["id"]
    assert paypal_emu.token_requests == 3


def test_wrong_credentials_are_rejected(paypal_http: httpx.Client) -> None:
    client = PayPalClient("http://127.0.0.1:9", "local-client", "wrong", http=paypal_http)
    with pytest.raises(ProviderRejected) as rejected:
        client.get_order("ANY")
    assert rejected.value.http_status == 401


def test_create_approve_capture_pays(
    paypal_gateway: PayPalGateway,
    paypal_http: httpx.Client,
    paypal_emu: PayPalEmulator,
    paypal_inbox: Inbox,
) -> None:
    request = checkout_request()
    started = paypal_gateway.start_checkout(request)
    assert started.redirect_url.startswith("http://127.0.0.1:9/checkoutnow?token=")
    assert paypal_gateway.get_status(started.provider_ref).state == "open"

    sent = paypal_emu.orders[started.provider_ref]["purchase_units"][0]
    assert sent["custom_id"] == "1042" and sent["invoice_id"] == "SF-1042"
    assert sent["amount"] == {
        "currency_code": "EUR",
        "value": "69.45",
        "breakdown": {
            "item_total": {"currency_code": "EUR", "value": "64.50"},
            "shipping": {"currency_code": "EUR", "value": "4.95"},
        },
    }
    assert sent["items"][0]["quantity"] == "2"

    redirect = approve(paypal_http, started.redirect_url)
    location = httpx.URL(redirect.headers["location"])
    assert str(location).startswith(f"{SHOP}/checkout/return")
    assert location.params["token"] == started.provider_ref
    assert location.params["PayerID"]
    assert paypal_gateway.get_status(started.provider_ref).state == "approved"

    status = paypal_gateway.capture(started.provider_ref)
    assert status.state == "paid" and status.is_paid
    assert (status.amount, status.currency, status.order_ref) == (6945, "EUR", "1042")
    assert status.payment_id in paypal_emu.captures
    assert paypal_inbox.types("event_type") == [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
    ]


def test_cancel_on_the_approval_page_returns_to_cancel_url(
    paypal_gateway: PayPalGateway, paypal_http: httpx.Client
) -> None:
    started = paypal_gateway.start_checkout(checkout_request())
    redirect = approve(paypal_http, started.redirect_url, "cancel")
    assert redirect.headers["location"] == f"{SHOP}/cart?token={started.provider_ref}"
    with pytest.raises(ProviderRejected) as refused:
        paypal_gateway.capture(started.provider_ref)
    assert refused.value.code == "ORDER_NOT_APPROVED"
    assert refused.value.request_id  # PayPal's debug_id


def test_create_is_idempotent_per_order_attempt(
    paypal_gateway: PayPalGateway, paypal_emu: PayPalEmulator
) -> None:
    first = paypal_gateway.start_checkout(checkout_request())
    assert paypal_gateway.start_checkout(checkout_request()) == first
    assert len(paypal_emu.orders) == 1
    assert paypal_gateway.start_checkout(checkout_request(attempt=2)) != first


def test_double_capture_is_treated_as_success(
    paypal_gateway: PayPalGateway,
    paypal_client: PayPalClient,
    paypal_http: httpx.Client,
    paypal_emu: PayPalEmulator,
) -> None:
    order_id = approved_order(paypal_gateway, paypal_http)
    first = paypal_gateway.capture(order_id)
    assert paypal_gateway.capture(order_id) == first  # same request id: replayed answer
    # Another request id (say, the webhook handler's): 422 ORDER_ALREADY_CAPTURED → re-read.
    order = paypal_client.capture_order(order_id, request_id="another-id")
    assert order["status"] == "COMPLETED"
    assert len(paypal_emu.captures) == 1


def test_pending_capture_is_not_paid_until_it_clears(
    paypal_gateway: PayPalGateway,
    paypal_http: httpx.Client,
    paypal_emu: PayPalEmulator,
    paypal_inbox: Inbox,
) -> None:
    paypal_emu.capture_outcome = "PENDING"
    order_id = approved_order(paypal_gateway, paypal_http)
    status = paypal_gateway.capture(order_id)
    assert status.state == "pending"
    assert status.failure_reason == "PENDING_REVIEW"
    pending = paypal_gateway.parse_event(
        *paypal_inbox.last("PAYMENT.CAPTURE.PENDING", "event_type")
    )
    assert (pending.kind, pending.provider_ref, pending.order_ref) == (
        "payment.pending",
        order_id,
        "1042",
    )

    assert status.payment_id
    paypal_emu.settle_capture(status.payment_id, "COMPLETED")
    done = paypal_gateway.parse_event(*paypal_inbox.last("PAYMENT.CAPTURE.COMPLETED", "event_type"))
    assert done.kind == "payment.paid" and done.payment_id == status.payment_id
    assert paypal_gateway.get_status(order_id).state == "paid"


def test_denied_and_declined_captures_fail(
    paypal_gateway: PayPalGateway,
    paypal_http: httpx.Client,
    paypal_emu: PayPalEmulator,
    paypal_inbox: Inbox,
) -> None:
    paypal_emu.capture_outcome = "PENDING"
    order_id = approved_order(paypal_gateway, paypal_http)
    payment_id = paypal_gateway.capture(order_id).payment_id
    assert payment_id
    paypal_emu.settle_capture(payment_id, "DENIED")
    denied = paypal_gateway.parse_event(*paypal_inbox.last("PAYMENT.CAPTURE.DENIED", "event_type"))
    assert denied.kind == "payment.failed"
    assert paypal_gateway.get_status(order_id).state == "failed"

    paypal_emu.capture_outcome = "DECLINED"
    second = approved_order(paypal_gateway, paypal_http, attempt=2, order_number="SF-1042-2")
    with pytest.raises(PaymentDeclined) as declined:
        paypal_gateway.capture(second)
    assert declined.value.code == "INSTRUMENT_DECLINED"
    assert paypal_gateway.get_status(second).state == "open"  # the payer must approve again


def test_refund_partial_then_rest_then_refused(
    paypal_gateway: PayPalGateway, paypal_http: httpx.Client, paypal_inbox: Inbox
) -> None:
    order_id = approved_order(paypal_gateway, paypal_http)
    capture_id = paypal_gateway.capture(order_id).payment_id
    assert capture_id

    partial = paypal_gateway.refund(capture_id, 1000, "EUR", "refund-1")
    assert (partial.state, partial.amount, partial.currency) == ("succeeded", 1000, "EUR")
    assert paypal_gateway.refund(capture_id, 1000, "EUR", "refund-1") == partial  # replay
    event = paypal_gateway.parse_event(*paypal_inbox.last("PAYMENT.CAPTURE.REFUNDED", "event_type"))
    assert (event.kind, event.payment_id, event.amount) == ("refund.updated", capture_id, 1000)
    assert (event.refund_id, event.refund_state) == (partial.refund_id, "succeeded")

    with pytest.raises(ProviderRejected) as too_much:
        paypal_gateway.refund(capture_id, 99_999, "EUR", "refund-2")
    assert too_much.value.code == "REFUND_AMOUNT_EXCEEDED"

    rest = paypal_gateway.refund(capture_id, None, "EUR", "refund-3")
    assert rest.amount == 5945
    assert paypal_gateway.get_refund(rest.refund_id) == rest
    with pytest.raises(ProviderRejected) as done:
        paypal_gateway.refund(capture_id, None, "EUR", "refund-4")
    assert done.value.code == "CAPTURE_FULLY_REFUNDED"


def test_zero_decimal_currency_end_to_end(
    paypal_gateway: PayPalGateway, paypal_http: httpx.Client, paypal_emu: PayPalEmulator
) -> None:
    order_id = approved_order(paypal_gateway, paypal_http, currency="JPY")
    amount = paypal_emu.orders[order_id]["purchase_units"][0]["amount"]
    assert amount["value"] == "6945"
    status = paypal_gateway.capture(order_id)
    assert (status.state, status.amount, status.currency) == ("paid", 6945, "JPY")


def test_krona_and_forint_end_to_end(
    paypal_gateway: PayPalGateway, paypal_http: httpx.Client, paypal_emu: PayPalEmulator
) -> None:
    """ISK has no minor unit (ISO 4217); HUF has two, but PayPal takes whole forints only."""
    order_id = approved_order(paypal_gateway, paypal_http, currency="ISK")
    assert paypal_emu.orders[order_id]["purchase_units"][0]["amount"]["value"] == "6945"
    status = paypal_gateway.capture(order_id)
    assert (status.state, status.amount, status.currency) == ("paid", 6945, "ISK")

    lines = (Line("Existential Dread Tee", 250000, 2, "TEE-DREAD-M-BLK"),)
    order_id = approved_order(
        paypal_gateway,
        paypal_http,
        order_id="1043",
        order_number="SF-1043",
        currency="HUF",
        lines=lines,
        shipping_amount=49500,
    )
    assert paypal_emu.orders[order_id]["purchase_units"][0]["amount"]["value"] == "5495"
    status = paypal_gateway.capture(order_id)
    assert (status.state, status.amount, status.currency) == ("paid", 549500, "HUF")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (2750, "EUR", "27.50"),
        (5, "USD", "0.05"),
        (0, "GBP", "0.00"),
        (1200, "JPY", "1200"),
        (150000, "HUF", "1500"),
    ],
)
def test_money_conversion_round_trips(amount: int, currency: str, text: str) -> None:
    assert to_paypal_value(amount, currency) == text
    assert from_paypal_value(text, currency) == amount
    assert Decimal(text) >= 0


def test_money_conversion_refuses_what_paypal_cannot_take() -> None:
    with pytest.raises(ValueError):
        to_paypal_value(150050, "HUF")
    with pytest.raises(ValueError):
        from_paypal_value("1.005", "EUR")


def test_server_errors_retry_with_the_same_request_id_then_give_up(
    paypal_gateway: PayPalGateway, paypal_emu: PayPalEmulator
) -> None:
    paypal_emu.faults.fail_next("POST /v2/checkout/orders", times=1, status=500, after_commit=True)
    started = paypal_gateway.start_checkout(checkout_request())
    assert len(paypal_emu.orders) == 1  # the retry got the stored order, not a second one
    paypal_emu.faults.fail_next("GET /v2/checkout/orders/*", times=3, status=503)
    with pytest.raises(ProviderUnavailable) as failure:
        paypal_gateway.get_status(started.provider_ref)
    assert failure.value.retryable and failure.value.request_id


def test_timeouts_are_unavailable(paypal_emu: PayPalEmulator) -> None:
    with LiveServer(paypal_emu) as server:
        client = PayPalClient(
            server.url,
            "local-client",
            "local-secret",
            timeout=CLIENT_TIMEOUT,
            max_retries=1,
            backoff=0.01,
        )
        client.access_token()
        paypal_emu.faults.timeout_next("GET /v2/checkout/orders/*", times=2, delay=HELD_FOR)
        with pytest.raises(ProviderUnavailable):
            client.get_order("ANY")
        client.close()


def test_webhooks_verify_and_certs_are_cached(
    paypal_gateway: PayPalGateway,
    paypal_http: httpx.Client,
    paypal_emu: PayPalEmulator,
    paypal_inbox: Inbox,
) -> None:
    order_id = approved_order(paypal_gateway, paypal_http)
    body, headers = paypal_inbox.last("CHECKOUT.ORDER.APPROVED", "event_type")
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    assert headers["PAYPAL-CERT-URL"].startswith("http://127.0.0.1:9/v1/notifications/certs/")

    fetched: list[str] = []
    paypal_http.event_hooks["request"].append(
        lambda req: fetched.append(str(req.url)) if "/certs/" in req.url.path else None
    )
    event = paypal_gateway.parse_event(body, headers)
    assert (event.kind, event.provider_ref, event.order_ref) == (
        "payment.approved",
        order_id,
        "1042",
    )
    paypal_gateway.capture(order_id)
    body2, headers2 = paypal_inbox.last("PAYMENT.CAPTURE.COMPLETED", "event_type")
    assert paypal_gateway.parse_event(body2, headers2).kind == "payment.paid"
    assert fetched == [headers["PAYPAL-CERT-URL"]]


def test_webhook_forgeries_are_refused(
    paypal_gateway: PayPalGateway,
    paypal_client: PayPalClient,
    paypal_http: httpx.Client,
    paypal_inbox: Inbox,
    paypal_clock: FakeClock,
    paypal_emu: PayPalEmulator,
) -> None:
    from storefront.gateways.port import SignatureError
    from storefront.gateways.signatures import cert_fingerprint

    pins = (cert_fingerprint(paypal_emu.signer.cert_pem),)

    approved_order(paypal_gateway, paypal_http)
    body, headers = paypal_inbox.last("CHECKOUT.ORDER.APPROVED", "event_type")
    tampered = body.replace(b'"1042"', b'"9999"')
    assert tampered != body
    with pytest.raises(SignatureError):
        paypal_gateway.parse_event(tampered, headers)
    with pytest.raises(SignatureError):  # parsed and re-dumped JSON is not the signed body
        paypal_gateway.parse_event(json.dumps(json.loads(body), indent=1).encode(), headers)
    evil = {**headers, "PAYPAL-CERT-URL": "https://paypal.com.evil.example/cert.pem"}
    with pytest.raises(SignatureError, match="allowed host"):
        paypal_gateway.parse_event(body, evil)
    with pytest.raises(SignatureError, match="missing"):
        paypal_gateway.parse_event(body, {k: v for k, v in headers.items() if "SIG" not in k})

    production = PayPalGateway(paypal_client, webhook_id=PAYPAL_WEBHOOK_ID)  # paypal.com only
    with pytest.raises(SignatureError, match="allowed host"):
        production.parse_event(body, headers)
    other_hook = PayPalGateway(
        paypal_client,
        webhook_id="WH-SOMEONE-ELSE",
        allowed_cert_hosts=("127.0.0.1",),
        cert_pins=pins,
    )
    with pytest.raises(SignatureError, match="does not match"):
        other_hook.parse_event(body, headers)

    paypal_clock.advance(3600)  # a replay an hour later
    with pytest.raises(SignatureError, match="time window"):
        PayPalGateway(
            paypal_client,
            webhook_id=PAYPAL_WEBHOOK_ID,
            allowed_cert_hosts=("127.0.0.1",),
            cert_pins=pins,
            clock=paypal_clock,
        ).parse_event(body, headers)


def test_concurrent_callers_share_one_token(
    paypal_client: PayPalClient, paypal_emu: PayPalEmulator
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(lambda _n: paypal_client.access_token(), range(16)))
    assert len(tokens) == 1
    assert paypal_emu.token_requests == 1


def test_reversal_webhook_is_reported(
    paypal_gateway: PayPalGateway,
    paypal_http: httpx.Client,
    paypal_emu: PayPalEmulator,
    paypal_inbox: Inbox,
) -> None:
    order_id = approved_order(paypal_gateway, paypal_http)
    capture_id = paypal_gateway.capture(order_id).payment_id
    assert capture_id
    paypal_emu.reverse_capture(capture_id)
    body, headers = paypal_inbox.last("PAYMENT.CAPTURE.REVERSED", "event_type")
    event = paypal_gateway.parse_event(body, headers)
    assert (event.kind, event.payment_id, event.provider_ref) == (
        "payment.reversed",
        capture_id,
        order_id,
    )
    # Payments v2 has no REVERSED status: the capture reads REFUNDED (reason CHARGEBACK), the
    # money came and went back; the webhook is what tells the shop.
    assert paypal_gateway.get_status(order_id).state == "paid"


def test_nobody_listening_is_unavailable() -> None:
    server = LiveServer(PayPalEmulator())
    url = server.url
    server.stop()
    client = PayPalClient(url, "local-client", "local-secret", max_retries=1, backoff=0.01)
    with pytest.raises(ProviderUnavailable) as failure:
        client.get_order("ANY")
    assert isinstance(failure.value.__cause__, httpx.ConnectError)
    client.close()


@pytest.mark.parametrize(
    ("lines", "shipping", "rate"),
    [
        ((Line("Tee", 2900, 2),), 495, Decimal("20")),  # FR: 62.95 gross
        ((Line("Tee", 2500, 3), Line("Tote", 1450, 1)), 595, Decimal("20")),  # UK
        ((Line("Tee", 2999, 3),), 0, Decimal("25.5")),  # FI, free shipping
        ((Line("Tee", 3333, 7), Line("Cap", 99, 1)), 1, Decimal("21")),  # odd cents
        ((Line("Tee", 3333, 1), Line("Cap", 2999, 5)), 0, Decimal("27")),  # HU, free
    ],
)
def test_vat_reaches_paypal_as_a_breakdown_that_adds_up(
    paypal_gateway: PayPalGateway,
    paypal_emu: PayPalEmulator,
    lines: tuple[Line, ...],
    shipping: int,
    rate: Decimal,
) -> None:
    """The emulator checks PayPal's sums (``AMOUNT_MISMATCH``, ``ITEM_TOTAL_MISMATCH``); the
    order PayPal keeps shows our VAT as ``tax_total`` and charges exactly our total."""
    gross = sum(line.unit_amount * line.quantity for line in lines) + shipping
    vat = vat_inside(rate, gross)  # the order's VAT: on the whole, as the invoice shows it
    request = checkout_request(lines=lines, shipping_amount=shipping, vat_amount=vat, vat_rate=rate)
    started = paypal_gateway.start_checkout(request)
    unit = paypal_emu.order(started.provider_ref)["purchase_units"][0]
    breakdown = unit["amount"]["breakdown"]
    assert from_paypal_value(unit["amount"]["value"], "EUR") == request.total
    assert from_paypal_value(breakdown["tax_total"]["value"], "EUR") == vat
    parts = sum(
        from_paypal_value(breakdown[k]["value"], "EUR")
        for k in ("item_total", "shipping", "tax_total")
        if k in breakdown
    )
    assert parts == request.total


def test_without_vat_paypal_gets_no_tax_total(paypal_gateway: PayPalGateway) -> None:
    body = paypal_gateway.order_body(checkout_request())
    assert "tax_total" not in body["purchase_units"][0]["amount"]["breakdown"]


@pytest.mark.parametrize(
    ("lines", "shipping", "discount", "shipping_discount", "rate"),
    [
        ((Line("Tee", 2900, 3),), 495, 870, 0, Decimal("19")),  # DE, 10 % off
        ((Line("Tee", 2900, 1),), 495, 0, 495, Decimal("19")),  # DE, free shipping
        ((Line("Tee", 3333, 7), Line("Cap", 99, 1)), 1, 2333, 0, Decimal("21")),  # odd cents
        ((Line("Tee", 2999, 3),), 595, 1, 300, Decimal("25.5")),  # FI, both discounts
        ((Line("Tee", 2999, 1),), 0, 2999, 0, Decimal("20")),  # all off: nothing to tax
    ],
)
def test_vat_and_a_discount_reach_paypal_as_a_breakdown_that_adds_up(
    paypal_gateway: PayPalGateway,
    paypal_emu: PayPalEmulator,
    lines: tuple[Line, ...],
    shipping: int,
    discount: int,
    shipping_discount: int,
    rate: Decimal,
) -> None:
    """With a discount the VAT is on what is paid; PayPal (whose emulator checks the sums)
    gets net discounts beside ``tax_total`` and charges exactly our total."""
    paid = sum(line.unit_amount * line.quantity for line in lines) + shipping
    paid -= discount + shipping_discount
    vat = vat_inside(rate, paid)
    request = checkout_request(
        lines=lines,
        shipping_amount=shipping,
        discount_amount=discount,
        shipping_discount=shipping_discount,
        vat_amount=vat,
        vat_rate=rate,
    )
    started = paypal_gateway.start_checkout(request)
    unit = paypal_emu.order(started.provider_ref)["purchase_units"][0]
    breakdown = {
        k: from_paypal_value(v["value"], "EUR") for k, v in unit["amount"]["breakdown"].items()
    }
    assert from_paypal_value(unit["amount"]["value"], "EUR") == request.total == paid
    assert breakdown["tax_total"] == vat
    added = sum(breakdown.get(k, 0) for k in ("item_total", "shipping", "tax_total"))
    taken = sum(breakdown.get(k, 0) for k in ("discount", "shipping_discount"))
    assert added - taken == paid
    assert all(value >= 0 for value in breakdown.values())
