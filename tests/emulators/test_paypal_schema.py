"""Every PayPal emulator answer the shop can get, validated against PayPal's own OpenAPI
response schemas (``shared/contracts/paypal``) with a JSON Schema validator: types, patterns,
``required``, enums (each error's exact ``issue`` and ``description`` included), nested
objects, and no key the spec does not declare. Failures and injected faults too: the
shop's error handling meets the same bodies PayPal sends.

Operations: create, get and capture an order; get a capture; refund it; get the refund;
``verify-webhook-signature``; and the webhook events the emulator sends.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from emulators.paypal import PayPalEmulator
from tests.payments.support import Inbox
from tests.support.material import CONTRACTS, require_path
from tests.support.openapi import OpenApiSpec

ORDERS_PATH = "/v2/checkout/orders"
ORDER_PATH = "/v2/checkout/orders/{id}"
CAPTURE_PATH = "/v2/checkout/orders/{id}/capture"
GET_CAPTURE_PATH = "/v2/payments/captures/{capture_id}"
REFUND_PATH = "/v2/payments/captures/{capture_id}/refund"
GET_REFUND_PATH = "/v2/payments/refunds/{refund_id}"
VERIFY_PATH = "/v1/notifications/verify-webhook-signature"
WEBHOOK_ID = "1JE4291016473214C"  # PayPal's webhook ids are letters and digits

ORDER: dict[str, Any] = {
    "intent": "CAPTURE",
    "purchase_units": [
        {
            "custom_id": "7",
            "invoice_id": "SF-7",
            "amount": {
                "currency_code": "EUR",
                "value": "54.95",
                "breakdown": {
                    "item_total": {"currency_code": "EUR", "value": "50.00"},
                    "shipping": {"currency_code": "EUR", "value": "4.95"},
                },
            },
            "items": [
                {
                    "name": "Compost Happens Tee",
                    "quantity": "2",
                    "unit_amount": {"currency_code": "EUR", "value": "25.00"},
                    "category": "PHYSICAL_GOODS",
                }
            ],
        }
    ],
    "payment_source": {
        "paypal": {
            "experience_context": {
                "return_url": "http://shop.test/return",
                "cancel_url": "http://shop.test/cart",
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
            }
        }
    },
}


INVOICES = itertools.count(1)


@cache
def spec(name: str) -> OpenApiSpec:
    path = require_path(CONTRACTS / "paypal" / name, "official contract material")
    return OpenApiSpec(path)


def orders() -> OpenApiSpec:
    return spec("checkout_orders_v2.json")


def payments() -> OpenApiSpec:
    return spec("payments_payment_v2.json")


def webhooks() -> OpenApiSpec:
    return spec("notifications_webhooks_v1.json")


def conforms(
    which: OpenApiSpec, response: httpx.Response, path: str, method: str = "get"
) -> dict[str, Any]:
    """``response``'s body is what the spec promises for its status; returns the body."""
    body = response.json()
    schema = which.response_schema(path, method, response.status_code)
    assert which.errors(body, schema) == [], (response.status_code, body)
    assert which.undeclared(body, schema) == [], (response.status_code, body)
    return body


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def emu(inbox: Inbox) -> PayPalEmulator:
    return PayPalEmulator(webhook_url="http://shop.test/hook", webhook_id=WEBHOOK_ID, sender=inbox)


@pytest.fixture
def api(emu: PayPalEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=emu), base_url="http://paypal.test"
    ) as client:
        token = client.post(
            "/v1/oauth2/token",
            auth=("local-client", "local-secret"),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        client.headers["Prefer"] = "return=representation"
        yield client


def create(api: httpx.Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    body = copy.deepcopy(body or ORDER)
    body["purchase_units"][0]["invoice_id"] = f"SF-{next(INVOICES)}"  # PayPal refuses repeats
    response = api.post(ORDERS_PATH, json=body)
    assert response.status_code == 201, response.text
    return conforms(orders(), response, ORDERS_PATH, "post")


def captured(api: httpx.Client, emu: PayPalEmulator) -> dict[str, Any]:
    order = create(api)
    emu.approve(order["id"])
    response = api.post(f"{ORDERS_PATH}/{order['id']}/capture")
    assert response.status_code == 201, response.text
    return conforms(orders(), response, CAPTURE_PATH, "post")


# --- the validator itself notices what the old key-name check let through -----------------
def test_the_check_refuses_a_wrong_type_a_bad_id_and_an_invented_key(
    api: httpx.Client, emu: PayPalEmulator
) -> None:
    order = captured(api, emu)
    schema = orders().response_schema(CAPTURE_PATH, "post", 201)
    broken = copy.deepcopy(order)
    broken["purchase_units"][0]["payee"]["email_address"] = 42
    assert any("42 is not of type 'string'" in e for e in orders().errors(broken, schema))
    broken = copy.deepcopy(order)
    broken["payer"]["payer_id"] = "EMULATOR01ABC"  # 13 characters, but O and 1 are not allowed
    assert any("does not match" in e for e in orders().errors(broken, schema))
    broken = copy.deepcopy(order)
    broken["purchase_units"][0]["payments"]["captures"][0]["colour"] = "red"
    assert orders().undeclared(broken, schema) == ["/purchase_units/0/payments/captures/0/colour"]


# --- orders ----------------------------------------------------------------------------------
def test_create_get_and_capture_conform(api: httpx.Client, emu: PayPalEmulator) -> None:
    order = create(api)
    assert order["status"] == "PAYER_ACTION_REQUIRED"
    minimal = api.post(ORDERS_PATH, json=ORDER, headers={"Prefer": "return=minimal"})
    assert set(conforms(orders(), minimal, ORDERS_PATH, "post")) == {"id", "status", "links"}
    without_source = {k: v for k, v in ORDER.items() if k != "payment_source"}
    assert create(api, without_source)["status"] == "CREATED"
    conforms(orders(), api.get(f"{ORDERS_PATH}/{order['id']}"), ORDER_PATH)
    emu.approve(order["id"])
    approved = conforms(orders(), api.get(f"{ORDERS_PATH}/{order['id']}"), ORDER_PATH)
    assert approved["status"] == "APPROVED"
    done = api.post(f"{ORDERS_PATH}/{order['id']}/capture")
    body = conforms(orders(), done, CAPTURE_PATH, "post")
    assert body["status"] == "COMPLETED"
    conforms(orders(), api.get(f"{ORDERS_PATH}/{order['id']}"), ORDER_PATH)


def test_ids_follow_paypals_patterns_every_time(api: httpx.Client, emu: PayPalEmulator) -> None:
    """Payer and merchant ids are drawn from PayPal's alphabet (no 0, 1, I, O): a random id
    that only sometimes breaks the pattern is caught here, not once in a while."""
    for _ in range(25):
        order = captured(api, emu)
        assert order["payer"]["payer_id"].isalnum()
        assert len(order["purchase_units"][0]["payee"]["merchant_id"]) == 13


@pytest.mark.parametrize("outcome", ["PENDING", "DECLINED"])
def test_capture_outcomes_conform(api: httpx.Client, emu: PayPalEmulator, outcome: str) -> None:
    emu.capture_outcome = outcome  # type: ignore[assignment]
    order = create(api)
    emu.approve(order["id"])
    response = api.post(f"{ORDERS_PATH}/{order['id']}/capture")
    body = conforms(orders(), response, CAPTURE_PATH, "post")
    if outcome == "DECLINED":
        assert response.status_code == 422
        assert body["details"][0]["issue"] == "INSTRUMENT_DECLINED"
    else:
        capture = body["purchase_units"][0]["payments"]["captures"][0]
        assert capture["status"] == "PENDING"
        assert capture["status_details"]["reason"] == "PENDING_REVIEW"


def test_order_errors_conform(api: httpx.Client, emu: PayPalEmulator) -> None:
    order = create(api)
    not_approved = api.post(f"{ORDERS_PATH}/{order['id']}/capture")
    assert conforms(orders(), not_approved, CAPTURE_PATH, "post")["details"][0]["issue"] == (
        "ORDER_NOT_APPROVED"
    )
    emu.approve(order["id"])
    api.post(f"{ORDERS_PATH}/{order['id']}/capture")
    again = api.post(f"{ORDERS_PATH}/{order['id']}/capture")
    assert again.status_code == 422
    assert conforms(orders(), again, CAPTURE_PATH, "post")["details"][0]["issue"] == (
        "ORDER_ALREADY_CAPTURED"
    )
    missing = api.get(f"{ORDERS_PATH}/NOSUCHORDER123")
    assert missing.status_code == 404
    assert conforms(orders(), missing, ORDER_PATH)["details"][0]["issue"] == "INVALID_RESOURCE_ID"
    capture_missing = api.post(f"{ORDERS_PATH}/NOSUCHORDER123/capture")
    assert capture_missing.status_code == 404
    conforms(orders(), capture_missing, CAPTURE_PATH, "post")


def _with_tax(per_item: str | None, total: str | None) -> Any:
    """A change of :data:`ORDER`: a ``tax`` on its item and/or a ``tax_total`` (the amount's
    value left as it is, so only a ``tax_total`` that the value includes adds up)."""

    def change(order: dict[str, Any]) -> None:
        unit = order["purchase_units"][0]
        if per_item is not None:
            unit["items"][0]["tax"] = {"currency_code": "EUR", "value": per_item}
        if total is not None:
            unit["amount"]["breakdown"]["tax_total"] = {"currency_code": "EUR", "value": total}

    return change


def test_a_tax_total_that_adds_up_is_accepted(api: httpx.Client) -> None:
    body = copy.deepcopy(ORDER)
    _with_tax("1.00", "2.00")(body)
    body["purchase_units"][0]["amount"]["value"] = "56.95"
    response = api.post(ORDERS_PATH, json=body)
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(
    ("change", "status", "issue"),
    [
        (lambda o: o["purchase_units"][0]["amount"].update(value="60.00"), 422, "AMOUNT_MISMATCH"),
        (
            lambda o: o["purchase_units"][0]["items"][0].update(quantity="3"),
            422,
            "ITEM_TOTAL_MISMATCH",
        ),
        (lambda o: o.update(purchase_units=[]), 400, "MISSING_REQUIRED_PARAMETER"),
        (_with_tax("1.00", None), 422, "TAX_TOTAL_REQUIRED"),
        (_with_tax("1.00", "1.50"), 422, "TAX_TOTAL_MISMATCH"),
        (_with_tax(None, "9.00"), 422, "AMOUNT_MISMATCH"),
    ],
    ids=["amount", "item-total", "no-units", "tax-required", "tax-total", "tax-in-amount"],
)
def test_refused_orders_conform(api: httpx.Client, change: Any, status: int, issue: str) -> None:
    body = copy.deepcopy(ORDER)
    change(body)
    response = api.post(ORDERS_PATH, json=body)
    assert response.status_code == status
    assert conforms(orders(), response, ORDERS_PATH, "post")["details"][0]["issue"] == issue


def test_an_expired_token_answers_paypals_401(api: httpx.Client, emu: PayPalEmulator) -> None:
    emu.tokens.clear()
    response = api.get(f"{ORDERS_PATH}/ANY")
    assert response.status_code == 401
    body = conforms(orders(), response, ORDER_PATH)
    assert body["name"] == "AUTHENTICATION_FAILURE"


# --- payments --------------------------------------------------------------------------------
def test_capture_refund_and_refund_lookup_conform(api: httpx.Client, emu: PayPalEmulator) -> None:
    capture_id = captured(api, emu)["purchase_units"][0]["payments"]["captures"][0]["id"]
    capture = conforms(payments(), api.get(f"/v2/payments/captures/{capture_id}"), GET_CAPTURE_PATH)
    assert capture["supplementary_data"]["related_ids"]["order_id"]
    partial = api.post(
        f"/v2/payments/captures/{capture_id}/refund",
        json={"amount": {"currency_code": "EUR", "value": "5.00"}, "note_to_payer": "Sorry"},
    )
    assert partial.status_code == 201
    refund = conforms(payments(), partial, REFUND_PATH, "post")
    conforms(payments(), api.get(f"/v2/payments/refunds/{refund['id']}"), GET_REFUND_PATH)
    after = conforms(payments(), api.get(f"/v2/payments/captures/{capture_id}"), GET_CAPTURE_PATH)
    assert after["status"] == "PARTIALLY_REFUNDED"
    too_much = api.post(
        f"/v2/payments/captures/{capture_id}/refund",
        json={"amount": {"currency_code": "EUR", "value": "99.00"}},
    )
    assert too_much.status_code == 422
    body = conforms(payments(), too_much, REFUND_PATH, "post")
    assert body["details"][0]["issue"] == "REFUND_AMOUNT_EXCEEDED"
    rest = api.post(f"/v2/payments/captures/{capture_id}/refund", json={})
    conforms(payments(), rest, REFUND_PATH, "post")
    missing = api.get("/v2/payments/refunds/NOSUCHREFUND1")
    assert missing.status_code == 404
    conforms(payments(), missing, GET_REFUND_PATH)
    missing = api.get("/v2/payments/captures/NOSUCHCAPTURE")
    assert missing.status_code == 404
    conforms(payments(), missing, GET_CAPTURE_PATH)


# --- faults ----------------------------------------------------------------------------------
OPERATIONS = [
    (orders, "post", ORDERS_PATH, ORDERS_PATH),
    (orders, "get", ORDER_PATH, f"{ORDERS_PATH}/ANY"),
    (orders, "post", CAPTURE_PATH, f"{ORDERS_PATH}/ANY/capture"),
    (payments, "get", GET_CAPTURE_PATH, "/v2/payments/captures/ANY"),
    (payments, "post", REFUND_PATH, "/v2/payments/captures/ANY/refund"),
    (payments, "get", GET_REFUND_PATH, "/v2/payments/refunds/ANY"),
]


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize(
    ("which", "method", "path", "url"), OPERATIONS, ids=[f"{o[1]} {o[2]}" for o in OPERATIONS]
)
def test_injected_failures_conform(
    api: httpx.Client,
    emu: PayPalEmulator,
    which: Any,
    method: str,
    path: str,
    url: str,
    status: int,
) -> None:
    emu.faults.fail_next(f"{method.upper()} {url}", status=status)
    response = api.request(method.upper(), url, json=ORDER if method == "post" else None)
    assert response.status_code == status
    conforms(which(), response, path, method)


def test_an_injected_timeout_and_a_failure_after_commit_conform(
    api: httpx.Client, emu: PayPalEmulator
) -> None:
    emu.faults.timeout_next(f"POST {ORDERS_PATH}", delay=0)
    timed_out = api.post(ORDERS_PATH, json=ORDER)
    assert timed_out.status_code == 504
    conforms(orders(), timed_out, ORDERS_PATH, "post")
    emu.faults.fail_next(f"POST {ORDERS_PATH}", status=500, after_commit=True)
    failed = api.post(ORDERS_PATH, json=ORDER)
    assert failed.status_code == 500 and len(emu.orders) == 1
    conforms(orders(), failed, ORDERS_PATH, "post")


# --- webhooks --------------------------------------------------------------------------------
def test_webhook_events_and_their_resources_conform(
    api: httpx.Client, emu: PayPalEmulator, inbox: Inbox
) -> None:
    capture_id = captured(api, emu)["purchase_units"][0]["payments"]["captures"][0]["id"]
    api.post(
        f"/v2/payments/captures/{capture_id}/refund",
        json={"amount": {"currency_code": "EUR", "value": "5.00"}},
    )
    emu.capture_outcome = "PENDING"
    pending = create(api)
    emu.approve(pending["id"])
    api.post(f"{ORDERS_PATH}/{pending['id']}/capture")
    pending_id = emu.orders[pending["id"]]["purchase_units"][0]["payments"]["captures"][0]["id"]
    emu.settle_capture(pending_id, "DENIED")
    emu.reverse_capture(capture_id)
    events = [json.loads(body) for _, body, _ in inbox.received]
    assert [e["event_type"] for e in events] == [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.REFUNDED",
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.REVERSED",
    ]
    resource_schema = {
        "checkout-order": orders().schema("order"),
        "capture": payments().schema("capture-2"),
        "refund": payments().schema("refund"),
    }
    envelope = webhooks().schema("event")
    for event in events:
        assert webhooks().errors(event, envelope) == [], event
        assert webhooks().undeclared(event, envelope) == [], event
        which = orders() if event["resource_type"] == "checkout-order" else payments()
        schema = resource_schema[event["resource_type"]]
        assert which.errors(event["resource"], schema) == [], event
        assert which.undeclared(event["resource"], schema) == [], event


def test_verify_webhook_signature_by_postback(
    api: httpx.Client, emu: PayPalEmulator, inbox: Inbox
) -> None:
    """PayPal's postback check answers SUCCESS for what it sent and FAILURE for anything else;
    the request needs a token, and a malformed one gets PayPal's 400."""
    order = create(api)
    emu.approve(order["id"])
    body, headers = inbox.last("CHECKOUT.ORDER.APPROVED", key="event_type")
    request = {
        "auth_algo": headers["PAYPAL-AUTH-ALGO"],
        "cert_url": headers["PAYPAL-CERT-URL"],
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "webhook_id": WEBHOOK_ID,
        "webhook_event": json.loads(body),
    }
    request_schema = webhooks().schema("verify_webhook_signature")
    assert webhooks().errors(request, request_schema) == []

    def verify(payload: dict[str, Any]) -> str:
        response = api.post(VERIFY_PATH, json=payload)
        assert response.status_code == 200, response.text
        return str(conforms(webhooks(), response, VERIFY_PATH, "post")["verification_status"])

    assert verify(request) == "SUCCESS"
    tampered = copy.deepcopy(request)
    tampered["webhook_event"]["resource"]["id"] = "SOMEONEELSE12"
    assert verify(tampered) == "FAILURE"
    assert verify({**request, "webhook_id": "4JH86294D6297924G"}) == "FAILURE"
    assert verify({**request, "transmission_time": "2020-01-01T00:00:00Z"}) == "FAILURE"
    assert verify({**request, "transmission_sig": "AAAA"}) == "FAILURE"

    incomplete = api.post(VERIFY_PATH, json={k: v for k, v in request.items() if k != "cert_url"})
    assert incomplete.status_code == 400
    conforms(webhooks(), incomplete, VERIFY_PATH, "post")
    anonymous = httpx.Client(transport=httpx.WSGITransport(app=emu), base_url="http://paypal.test")
    assert anonymous.post(VERIFY_PATH, json=request).status_code == 401
