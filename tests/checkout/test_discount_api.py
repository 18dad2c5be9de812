"""Discount codes through the JSON API: operators create, list and pause them with a
token; a customer's checkout applies one, or says why not and goes on without it."""

from __future__ import annotations

from tests.checkout.conftest import Shop
from tests.checkout.fakes import TEE
from tests.checkout.test_api_checkout import ADDRESS, token_for


def test_operators_create_list_and_pause_codes_and_customers_use_them(shop: Shop) -> None:
    api = shop.app.test_client(use_cookies=False)
    ops = token_for(shop, "olive@example.com", role="operator")
    ada = token_for(shop, "ada@example.com")

    refused = api.post("/api/v1/operator/discounts", headers=ada, json={})
    assert refused.status_code == 403
    bad = api.post(
        "/api/v1/operator/discounts",
        headers=ops,
        json={"code": "HALF", "kind": "fixed", "amounts": {"EUR": 5.5}},
    )
    assert bad.status_code == 422
    assert any(d["field"].startswith("amounts") for d in bad.get_json()["error"]["details"])
    unknown = api.post(
        "/api/v1/operator/discounts",
        headers=ops,
        json={"code": "HALF", "kind": "fixed", "amounts": {"KWD": 5}},
    )
    assert unknown.status_code == 422
    created = api.post(
        "/api/v1/operator/discounts",
        headers=ops,
        json={"code": "half", "kind": "percent", "percent": 50, "max_uses_per_customer": 1},
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["code"] == "HALF" and created.get_json()["uses"] == 0
    again = api.post(
        "/api/v1/operator/discounts", headers=ops, json={"code": "HALF", "kind": "free_shipping"}
    )
    assert again.status_code == 409
    listed = api.get("/api/v1/operator/discounts", headers=ops).get_json()
    assert [c["code"] for c in listed["items"]] == ["HALF"]

    paused = api.post("/api/v1/operator/discounts/HALF", headers=ops, json={"paused": True})
    assert paused.status_code == 200 and paused.get_json()["paused"] is True
    assert (
        api.post(
            "/api/v1/operator/discounts/NOSUCH", headers=ops, json={"paused": True}
        ).status_code
        == 404
    )

    item = {"product_id": TEE.product_id, "variant_key": TEE.variant_key, "quantity": 2}
    assert api.post("/api/v1/cart/items", headers=ada, json=item).status_code == 201
    out = api.post(
        "/api/v1/checkout", headers=ada, json={**ADDRESS, "discount_code": "HALF"}
    ).get_json()
    assert out["discount_code"] is None and out["discount_amount"] == 0
    assert out["discount_notice"] == "The code HALF is paused at the moment."
    assert out["total_amount"] == 2 * TEE.unit_amount + 495

    api.post("/api/v1/operator/discounts/HALF", headers=ops, json={"paused": False})
    # The first order is still unpaid: cancel it so the cart opens again.
    api.post(f"/api/v1/orders/{out['order_number']}/cancel", headers=ada)
    second = api.post("/api/v1/checkout", headers=ada, json={**ADDRESS, "discount_code": "half"})
    assert second.status_code == 201, second.get_json()
    body = second.get_json()
    assert (body["discount_code"], body["discount_amount"]) == ("HALF", TEE.unit_amount)
    assert body["total_amount"] == TEE.unit_amount + 495
    order = api.get(f"/api/v1/orders/{body['order_number']}", headers=ada).get_json()
    assert order["discount_amount"] == TEE.unit_amount and order["discount_code"] == "HALF"
    listed = api.get("/api/v1/operator/discounts", headers=ops).get_json()
    assert listed["items"][0]["uses"] == 1
