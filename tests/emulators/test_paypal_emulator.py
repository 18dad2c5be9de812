"""The PayPal emulator over plain HTTP: OAuth, order validation, idempotency, signing cert."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from emulators.paypal import PayPalEmulator
from storefront.gateways.signatures import paypal_message
from tests.payments.support import Inbox

ORDER: dict[str, Any] = {
    "intent": "CAPTURE",
    "purchase_units": [
        {
            "custom_id": "7",
            "invoice_id": "SF-7",
            "amount": {
                "currency_code": "USD",
                "value": "57.49",
                "breakdown": {
                    "item_total": {"currency_code": "USD", "value": "50.00"},
                    "shipping": {"currency_code": "USD", "value": "9.99"},
                    "discount": {"currency_code": "USD", "value": "2.50"},
                },
            },
            "items": [
                {
                    "name": "Tee",
                    "quantity": "2",
                    "unit_amount": {"currency_code": "USD", "value": "25.00"},
                }
            ],
        }
    ],
}


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def emu(inbox: Inbox) -> PayPalEmulator:
    return PayPalEmulator(webhook_url="http://shop.test/hook", webhook_id="WH-1", sender=inbox)


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
        yield client


def with_unit(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ORDER)
    body["purchase_units"][0].update(changes)
    return body


def test_oauth_token_and_its_errors(emu: PayPalEmulator) -> None:
    client = httpx.Client(transport=httpx.WSGITransport(app=emu), base_url="http://paypal.test")
    good = client.post(
        "/v1/oauth2/token",
        auth=("local-client", "local-secret"),
        data={"grant_type": "client_credentials"},
    )
    assert good.status_code == 200
    assert good.json()["token_type"] == "Bearer" and good.json()["expires_in"] == 32400
    bad = client.post(
        "/v1/oauth2/token", auth=("local-client", "nope"), data={"grant_type": "client_credentials"}
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    grant = client.post(
        "/v1/oauth2/token", auth=("local-client", "local-secret"), data={"grant_type": "password"}
    )
    assert grant.status_code == 400
    unauthorised = client.get("/v2/checkout/orders/X")
    assert unauthorised.status_code == 401
    assert unauthorised.json()["name"] == "AUTHENTICATION_FAILURE"


def test_valid_order_minimal_and_full_representation(api: httpx.Client) -> None:
    minimal = api.post("/v2/checkout/orders", json=ORDER)
    assert minimal.status_code == 201
    assert set(minimal.json()) == {"id", "status", "links"}
    assert minimal.json()["status"] == "CREATED"
    assert "approve" in [link["rel"] for link in minimal.json()["links"]]
    full = api.get(f"/v2/checkout/orders/{minimal.json()['id']}").json()
    assert full["purchase_units"][0]["reference_id"] == "default"
    assert full["purchase_units"][0]["custom_id"] == "7"


@pytest.mark.parametrize(
    ("body", "status", "issue"),
    [
        (
            with_unit(amount={**ORDER["purchase_units"][0]["amount"], "value": "60.00"}),
            422,
            "AMOUNT_MISMATCH",
        ),
        (
            with_unit(
                items=[
                    {
                        "name": "Tee",
                        "quantity": "3",
                        "unit_amount": {"currency_code": "USD", "value": "25.00"},
                    }
                ]
            ),
            422,
            "ITEM_TOTAL_MISMATCH",
        ),
        (
            with_unit(amount={"currency_code": "JPY", "value": "10.50"}, items=[]),
            422,
            "DECIMALS_NOT_SUPPORTED",
        ),
        (
            with_unit(amount={"currency_code": "USD", "value": "10.505"}, items=[]),
            422,
            "DECIMAL_PRECISION",
        ),
        (
            with_unit(
                amount={
                    "currency_code": "USD",
                    "value": "5.00",
                    "breakdown": {"item_total": {"currency_code": "EUR", "value": "5.00"}},
                },
                items=[],
            ),
            422,
            "MULTI_CURRENCY_ORDER",
        ),
        (with_unit(amount={"currency_code": "USD", "value": "5.00"}), 422, "ITEM_TOTAL_REQUIRED"),
        ({"intent": "CAPTURE", "purchase_units": []}, 400, "MISSING_REQUIRED_PARAMETER"),
        ({**ORDER, "intent": "SELL"}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_orders_are_validated_like_paypal(
    api: httpx.Client, body: dict[str, Any], status: int, issue: str
) -> None:
    answer = api.post("/v2/checkout/orders", json=body)
    assert answer.status_code == status
    error = answer.json()
    assert error["details"][0]["issue"] == issue
    assert error["debug_id"] == answer.headers["Paypal-Debug-Id"]
    assert error["name"] == ("UNPROCESSABLE_ENTITY" if status == 422 else "INVALID_REQUEST")


def test_malformed_json_is_400(api: httpx.Client) -> None:
    answer = api.post(
        "/v2/checkout/orders", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["details"][0]["issue"] == "MALFORMED_REQUEST_JSON"


def test_request_id_replays_create(api: httpx.Client, emu: PayPalEmulator) -> None:
    first = api.post("/v2/checkout/orders", json=ORDER, headers={"PayPal-Request-Id": "r1"}).json()
    again = api.post("/v2/checkout/orders", json=ORDER, headers={"PayPal-Request-Id": "r1"}).json()
    assert first == again and len(emu.orders) == 1
    api.post("/v2/checkout/orders", json=ORDER)
    assert len(emu.orders) == 2


def test_unique_invoice_ids_are_enforced_at_capture(api: httpx.Client, emu: PayPalEmulator) -> None:
    ids = [api.post("/v2/checkout/orders", json=ORDER).json()["id"] for _ in range(2)]
    for order_id in ids:
        emu.approve(order_id)
    assert api.post(f"/v2/checkout/orders/{ids[0]}/capture").status_code == 201
    duplicate = api.post(f"/v2/checkout/orders/{ids[1]}/capture")
    assert duplicate.status_code == 422
    assert duplicate.json()["details"][0]["issue"] == "DUPLICATE_INVOICE_ID"


def test_webhooks_are_signed_with_the_served_cert(
    api: httpx.Client, emu: PayPalEmulator, inbox: Inbox
) -> None:
    order_id = api.post("/v2/checkout/orders", json=ORDER).json()["id"]
    emu.approve(order_id)
    body, headers = inbox.last("CHECKOUT.ORDER.APPROVED", "event_type")
    assert json.loads(body)["resource"]["id"] == order_id
    cert_url = httpx.URL(headers["PAYPAL-CERT-URL"])
    pem = api.get(cert_url.path)
    assert pem.status_code == 200
    key = x509.load_pem_x509_certificate(pem.content).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    message = paypal_message(
        headers["PAYPAL-TRANSMISSION-ID"], headers["PAYPAL-TRANSMISSION-TIME"], "WH-1", body
    )
    key.verify(
        base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]),
        message,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert api.get("/v1/notifications/certs/CERT-other").status_code == 404


def test_control_api_sets_capture_outcome_and_settles(
    api: httpx.Client, emu: PayPalEmulator
) -> None:
    assert (
        api.post("/_emulator/commands/capture_outcome", json={"outcome": "pending"}).status_code
        == 200
    )
    assert (
        api.post("/_emulator/commands/capture_outcome", json={"outcome": "weird"}).status_code
        == 400
    )
    order_id = api.post("/v2/checkout/orders", json=ORDER).json()["id"]
    api.post("/_emulator/commands/approve", json={"order_id": order_id})
    captured = api.post(
        f"/v2/checkout/orders/{order_id}/capture", headers={"Prefer": "return=representation"}
    )
    capture = captured.json()["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "PENDING"
    settled = api.post(
        "/_emulator/commands/settle_capture", json={"capture_id": capture["id"], "status": "DENIED"}
    )
    assert settled.json()["result"]["status"] == "DECLINED"  # Payments v2 has no DENIED
    again = api.post("/_emulator/commands/settle_capture", json={"capture_id": capture["id"]})
    assert again.status_code == 400
    refused = api.post(f"/v2/payments/captures/{capture['id']}/refund", json={})
    assert refused.json()["details"][0]["issue"] == "REFUND_NOT_ALLOWED"


def test_approval_page_shows_the_amount_and_refuses_finished_orders(
    api: httpx.Client, emu: PayPalEmulator
) -> None:
    order_id = api.post("/v2/checkout/orders", json=ORDER).json()["id"]
    page = api.get("/checkoutnow", params={"token": order_id})
    assert "Pay 57.49 USD" in page.text and 'value="approve"' in page.text
    emu.approve(order_id)
    api.post(f"/v2/checkout/orders/{order_id}/capture")
    done = api.get("/checkoutnow", params={"token": order_id})
    assert "This order is completed." in done.text
    assert (
        api.post("/checkoutnow", data={"token": order_id, "action": "approve"}).status_code == 422
    )
    assert api.get("/checkoutnow", params={"token": "NOPE"}).status_code == 404


def test_a_request_id_in_flight_is_refused(emu: PayPalEmulator) -> None:
    from emulators.paypal import PayPalApiError

    def reenter() -> tuple[int, dict[str, Any]]:
        with pytest.raises(PayPalApiError) as busy:
            emu.once("capture:X", "r", lambda: (201, {}))
        assert busy.value.status == 409
        return 201, {"id": "X"}

    assert emu.once("capture:X", "r", reenter) == (201, {"id": "X"})
    assert emu.once("capture:X", "r", reenter) == (201, {"id": "X"})  # stored, not re-run
