"""The emulators' shapes against the providers' official material in ``shared/contracts``.

Stripe: emulator objects carry exactly the top-level keys of Stripe's published fixtures,
every nested value has the fixture's type (objects with the same keys), and every key our
adapter reads is in them. PayPal: every key the emulator answers (and our
adapter sends or reads) is a property of the OpenAPI schema, and enum values are valid.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.paypal import PayPalEmulator
from emulators.stripe import StripeEmulator
from storefront.gateways.paypal_gateway import PayPalGateway
from tests.payments.support import Inbox, checkout_request, submit_form
from tests.support.material import CONTRACTS, require_path


def contract(*parts: str) -> Path:
    """A file of the official material: skipped locally when absent, a failure in CI."""
    return require_path(CONTRACTS.joinpath(*parts), "official contract material")


@cache
def stripe_fixtures() -> dict[str, Any]:
    return json.loads(contract("stripe", "fixtures.json").read_text())["resources"]


@cache
def paypal_spec(name: str) -> dict[str, Any]:
    return json.loads(contract("paypal", name).read_text())


def schema(spec_name: str, name: str) -> dict[str, Any]:
    return paypal_spec(spec_name)["components"]["schemas"][name]


def properties(spec_name: str, node: dict[str, Any]) -> dict[str, Any]:
    """A schema's properties, following local ``$ref`` and ``allOf``."""
    if "$ref" in node:
        return properties(spec_name, schema(spec_name, node["$ref"].rsplit("/", 1)[-1]))
    found = dict(node.get("properties", {}))
    for part in node.get("allOf", []):
        found.update(properties(spec_name, part))
    return found


def enum_of(spec_name: str, node: dict[str, Any]) -> list[str]:
    if "$ref" in node:
        return enum_of(spec_name, schema(spec_name, node["$ref"].rsplit("/", 1)[-1]))
    return list(node.get("enum", []))


# --- Stripe ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stripe_world() -> dict[str, Any]:
    """One paid, partly refunded checkout in the emulator."""
    emu = StripeEmulator(sender=Inbox(), webhook_url="http://shop.test/hook")
    client = httpx.Client(
        transport=httpx.WSGITransport(app=emu),
        base_url="http://stripe.test",
        headers={"Authorization": "Bearer sk_test_x"},
    )
    created = client.post(
        "/v1/checkout/sessions",
        data={
            "mode": "payment",
            "success_url": "http://shop.test/ok",
            "line_items[0][price_data][currency]": "eur",
            "line_items[0][price_data][unit_amount]": "2500",
            "line_items[0][price_data][product_data][name]": "Tee",
            "line_items[0][quantity]": "1",
            "customer_email": "shopper@example.com",
        },
    ).json()
    page = client.get(f"/pay/{created['id']}")
    paid = submit_form(
        f"http://stripe.test/pay/{created['id']}",
        page,
        client,
        "pay",
        name="Noor Okafor",
        country="nl",
        postal_code="1012",
    )
    assert paid.status_code == 303
    session = client.get(f"/v1/checkout/sessions/{created['id']}").json()
    intent = client.get(f"/v1/payment_intents/{session['payment_intent']}").json()
    refund = client.post(
        "/v1/refunds", data={"payment_intent": intent["id"], "amount": "500"}
    ).json()
    events = client.get("/v1/events", params={"limit": 100}).json()["data"]
    charge = next(e for e in events if e["type"] == "charge.refunded")["data"]["object"]
    return {
        "checkout.session": session,
        "payment_intent": intent,
        "refund": refund,
        "charge": charge,
        "event": events[0],
    }


@pytest.mark.parametrize(
    "name", ["checkout.session", "event", "payment_intent", "refund", "charge"]
)
def test_stripe_objects_have_the_fixture_keys(stripe_world: dict[str, Any], name: str) -> None:
    ours, official = stripe_world[name], stripe_fixtures()[name]
    assert set(ours) == set(official), {
        "missing": sorted(set(official) - set(ours)),
        "extra": sorted(set(ours) - set(official)),
    }
    assert ours["object"] == official["object"]
    assert ours.get("livemode", False) is False


#: Every key ``storefront.gateways.stripe_gateway`` reads, per object.
STRIPE_KEYS_READ = {
    "checkout.session": [
        "id", "url", "status", "payment_status", "payment_intent", "amount_total", "currency",
        "client_reference_id", "metadata", "object",
    ],
    "payment_intent": ["id", "status", "last_payment_error", "metadata", "amount", "currency"],
    "refund": ["id", "status", "amount", "currency", "payment_intent", "object"],
    "charge": ["refunds", "amount_refunded", "currency", "payment_intent", "metadata", "object"],
    "event": ["id", "type", "created", "data", "object"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STRIPE_KEYS_READ))
def test_stripe_keys_our_adapter_reads_exist_officially(name: str) -> None:
    official = stripe_fixtures()[name]
    assert set(STRIPE_KEYS_READ[name]) <= set(official)
    if name == "charge":
        assert {"data", "has_more", "object"} <= set(official["refunds"])
    if name == "event":
        assert "object" in official["data"]
        assert set(official["request"]) == {"id", "idempotency_key"}


#: Where a paid, refunded checkout's objects may hold another type than the fixture's
#: example: the fixture shows ``data.object`` of another event type.
STRIPE_OTHER_TYPES = {"event": {"/data/object"}}


def shape_differences(ours: Any, official: Any, path: str = "") -> list[str]:
    """Where ``ours`` has another JSON type than ``official`` (both set), or an object with
    other keys; lists are compared by their first items. ``metadata`` is free-form."""
    if ours is None or official is None:
        return []
    if type(ours) is not type(official) and not (
        isinstance(ours, int | float) and isinstance(official, int | float)
    ):
        return [f"{path}: {type(ours).__name__}, officially {type(official).__name__}"]
    found: list[str] = []
    if isinstance(ours, dict) and not path.endswith("/metadata"):
        if set(ours) != set(official):
            found.append(
                f"{path}: keys missing {sorted(set(official) - set(ours))}, "
                f"extra {sorted(set(ours) - set(official))}"
            )
        for key in set(ours) & set(official):
            found += shape_differences(ours[key], official[key], f"{path}/{key}")
    if isinstance(ours, list) and ours and official:
        found += shape_differences(ours[0], official[0], f"{path}/0")
    return found


@pytest.mark.parametrize(
    "name", ["checkout.session", "event", "payment_intent", "refund", "charge"]
)
def test_stripe_values_have_the_fixture_types(stripe_world: dict[str, Any], name: str) -> None:
    """Every value, nested ones too, has the type of Stripe's example (a string where Stripe
    sends a string, an object with the same keys where Stripe sends an object)."""
    skip = STRIPE_OTHER_TYPES.get(name, set())
    ours = stripe_world[name]
    if name == "event":  # an event that changed an object (charge.refunded) says what it was
        assert ours["type"] == "charge.refunded"
        assert ours["data"]["previous_attributes"]["amount_refunded"] == 0
        ours = {
            **ours,
            "data": {k: v for k, v in ours["data"].items() if k != "previous_attributes"},
        }
    found = [
        d
        for d in shape_differences(ours, stripe_fixtures()[name])
        if not any(d.startswith(f"{s}:") or d.startswith(f"{s}/") for s in skip)
    ]
    assert found == []


def test_stripe_fills_customer_details_on_payment(stripe_world: dict[str, Any]) -> None:
    """Checkout fills ``customer_details`` (e-mail, name, billing address) when the shopper
    pays, and the charge's ``billing_details`` the same; the shop stores them, so it must
    meet them here to erase them."""
    details = stripe_world["checkout.session"]["customer_details"]
    official = stripe_fixtures()["checkout.session"]["customer_details"]
    assert set(details) == set(official)
    assert set(details["address"]) == set(official["address"])
    assert details["email"] == "shopper@example.com"  # the session's customer_email
    assert details["name"] == "Noor Okafor"
    assert (details["address"]["country"], details["address"]["postal_code"]) == ("NL", "1012")
    billing = stripe_world["charge"]["billing_details"]
    assert (billing["email"], billing["name"], billing["address"]) == (
        details["email"],
        details["name"],
        details["address"],
    )


def test_stripe_event_envelope_matches(stripe_world: dict[str, Any]) -> None:
    event, official = stripe_world["event"], stripe_fixtures()["event"]
    assert set(event["request"]) == set(official["request"])
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert isinstance(event["pending_webhooks"], int)


# --- PayPal ---------------------------------------------------------------------------------
ORDERS, PAYMENTS, WEBHOOKS = (
    "checkout_orders_v2.json",
    "payments_payment_v2.json",
    "notifications_webhooks_v1.json",
)


@pytest.fixture(scope="module")
def paypal_world() -> dict[str, Any]:
    inbox = Inbox()
    emu = PayPalEmulator(sender=inbox, webhook_url="http://shop.test/hook")
    http = httpx.Client(transport=httpx.WSGITransport(app=emu))
    from storefront.gateways.paypal_client import PayPalClient

    client = PayPalClient("http://127.0.0.1:9", "local-client", "local-secret", http=http)
    gateway = PayPalGateway(client, webhook_id="WH-LOCAL", allowed_cert_hosts=("127.0.0.1",))
    request_body = gateway.order_body(checkout_request())
    order_id = client.create_order(request_body, "contract-1")["id"]
    emu.approve(order_id)
    order = client.capture_order(order_id, "contract-capture")
    capture_id = order["purchase_units"][0]["payments"]["captures"][0]["id"]
    capture = client.get_capture(capture_id)
    refund = client.refund_capture(
        capture_id, {"amount": {"currency_code": "EUR", "value": "1.00"}}, "contract-refund"
    )
    error = http.post(
        f"http://127.0.0.1:9/v2/checkout/orders/{order_id}/capture",
        headers={"Authorization": f"Bearer {client.access_token()}"},
    ).json()
    events = [json.loads(body) for _, body, _ in inbox.received]
    return {
        "request": request_body,
        "order": order,
        "capture": capture,
        "refund": refund,
        "error": error,
        "events": events,
    }


def test_paypal_order_request_uses_only_spec_fields(paypal_world: dict[str, Any]) -> None:
    body = paypal_world["request"]
    assert set(body) <= set(properties(ORDERS, schema(ORDERS, "order_request")))
    unit = body["purchase_units"][0]
    assert set(unit) <= set(properties(ORDERS, schema(ORDERS, "purchase_unit_request")))
    item_props = properties(ORDERS, schema(ORDERS, "item"))
    for item in unit["items"]:
        assert set(item) <= set(item_props)
        assert item["category"] in enum_of(ORDERS, item_props["category"])
    assert set(unit["amount"]["breakdown"]) <= set(
        properties(ORDERS, schema(ORDERS, "amount_breakdown"))
    )
    assert set(body["payment_source"]["paypal"]) <= set(
        properties(ORDERS, schema(ORDERS, "paypal_wallet"))
    )
    context = body["payment_source"]["paypal"]["experience_context"]
    context_props = properties(ORDERS, schema(ORDERS, "paypal_wallet_experience_context"))
    assert set(context) <= set(context_props)
    assert context["user_action"] in enum_of(ORDERS, context_props["user_action"])
    assert context["shipping_preference"] in enum_of(ORDERS, context_props["shipping_preference"])


def test_paypal_order_and_capture_shapes(paypal_world: dict[str, Any]) -> None:
    order = paypal_world["order"]
    order_props = properties(ORDERS, schema(ORDERS, "order"))
    assert set(order) <= set(order_props)
    assert order["status"] in enum_of(ORDERS, order_props["status"])
    unit_props = properties(ORDERS, schema(ORDERS, "purchase_unit"))
    unit = order["purchase_units"][0]
    assert set(unit) <= set(unit_props)
    assert set(unit["payments"]) <= set(properties(ORDERS, schema(ORDERS, "payment_collection")))
    capture_props = properties(ORDERS, schema(ORDERS, "capture"))
    for capture in unit["payments"]["captures"]:
        assert set(capture) <= set(capture_props)
    link_props = set(properties(ORDERS, schema(ORDERS, "link_description")))
    assert all(set(link) <= link_props for link in order["links"])
    # What our adapter reads is all there, officially.
    assert {"id", "status", "links", "purchase_units"} <= set(order_props)
    assert {"amount", "custom_id", "payments"} <= set(unit_props)
    assert {"id", "status", "status_details", "amount"} <= set(capture_props)


def test_paypal_payments_shapes(paypal_world: dict[str, Any]) -> None:
    capture_props = properties(PAYMENTS, schema(PAYMENTS, "capture-2"))
    capture = paypal_world["capture"]
    assert set(capture) <= set(capture_props)
    assert capture["status"] in enum_of(
        PAYMENTS, properties(PAYMENTS, schema(PAYMENTS, "capture_status"))["status"]
    )
    assert set(capture["supplementary_data"]["related_ids"]) <= set(
        properties(PAYMENTS, schema(PAYMENTS, "related_ids"))
    )
    refund_props = properties(PAYMENTS, schema(PAYMENTS, "refund"))
    refund = paypal_world["refund"]
    assert set(refund) <= set(refund_props)
    assert refund["status"] in enum_of(
        PAYMENTS, properties(PAYMENTS, schema(PAYMENTS, "refund_status"))["status"]
    )
    assert {"id", "status", "amount", "links"} <= set(refund_props)


def test_paypal_error_shape(paypal_world: dict[str, Any]) -> None:
    error = paypal_world["error"]
    error_props = properties(PAYMENTS, schema(PAYMENTS, "error_422"))
    assert set(error) <= set(error_props) | {"message", "name"}
    assert error["name"] in enum_of(PAYMENTS, error_props["name"])
    detail_props = set(properties(PAYMENTS, schema(PAYMENTS, "error_details")))
    assert all(set(detail) <= detail_props for detail in error["details"])
    assert error["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"
    # The issue names the emulator uses are PayPal's own.
    spec_text = contract("paypal", ORDERS).read_text()
    for issue in (
        "ORDER_ALREADY_CAPTURED",
        "ORDER_NOT_APPROVED",
        "AMOUNT_MISMATCH",
        "ITEM_TOTAL_MISMATCH",
        "DUPLICATE_INVOICE_ID",
        "INSTRUMENT_DECLINED",
    ):
        assert f'"{issue}"' in spec_text, issue  # fmt: skip


def test_paypal_webhook_envelope(paypal_world: dict[str, Any]) -> None:
    event_props = set(properties(WEBHOOKS, schema(WEBHOOKS, "event")))
    events = paypal_world["events"]
    assert [e["event_type"] for e in events] == [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.REFUNDED",
    ]
    for event in events:
        assert set(event) <= event_props
        assert {"id", "event_type", "resource", "resource_type", "create_time"} <= set(event)
