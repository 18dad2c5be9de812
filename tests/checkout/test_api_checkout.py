"""The JSON API's cart, checkout and orders with a bearer token, through the Stripe
emulator; one customer never sees another's order."""

import httpx

from storefront.accounts import services as accounts
from storefront.accounts import tokens
from storefront.container import services
from tests.checkout.conftest import Shop, press, shop_path
from tests.checkout.fakes import TEE
from tests.support.timing import ANSWERED_TIMEOUT

ADDRESS = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_line1": "Kastanienallee 1",
    "city": "Berlin",
    "post_code": "10435",
    "country": "DE",
    "provider": "stripe",
}


def token_for(shop: Shop, email: str, role: str = "customer") -> dict[str, str]:
    with services(shop.app).db.session_scope(write=True) as session:
        customer = accounts.register(session, email, "correct horse battery", role=role)
        plain = tokens.create_token(session, customer, role=role, name="t").plaintext
    return {"Authorization": f"Bearer {plain}"}


def test_cart_checkout_pay_and_orders(shop: Shop) -> None:
    api = shop.app.test_client(use_cookies=False)
    ada = token_for(shop, "ada@example.com")
    added = api.post(
        "/api/v1/cart/items",
        headers=ada,
        json={
            "product_id": TEE.product_id,
            "variant_key": TEE.variant_key,
            "quantity": 2,
            "unit_amount": 1,
        },
    )  # a price from the client is ignored
    assert added.status_code == 201
    assert added.get_json()["subtotal"] == 2 * TEE.unit_amount
    item = added.get_json()["lines"][0]["item_id"]
    changed = api.patch(f"/api/v1/cart/items/{item}", headers=ada, json={"quantity": 1})
    assert changed.get_json()["count"] == 1

    started = api.post("/api/v1/checkout", headers=ada, json=ADDRESS)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        done = press(browser, body["redirect_url"], "pay")
    shop.client.get(shop_path(done.headers["Location"]))

    mine = api.get("/api/v1/orders", headers=ada).get_json()
    assert [o["number"] for o in mine["items"]] == [body["order_number"]]
    assert mine["items"][0]["status"] == "paid"
    assert mine["items"][0]["total_amount"] == TEE.unit_amount + 495

    bob = token_for(shop, "bob@example.com")
    assert api.get(f"/api/v1/orders/{body['order_number']}", headers=bob).status_code == 404
    assert api.get("/api/v1/orders", headers=bob).get_json()["items"] == []
    assert api.get("/api/v1/operator/orders", headers=bob).status_code == 403
    op = token_for(shop, "op@example.com", role="operator")
    found = api.get(f"/api/v1/operator/orders?q={body['order_number']}", headers=op).get_json()
    assert found["total"] == 1


def test_checkout_with_a_bad_address_is_a_422(shop: Shop) -> None:
    api = shop.app.test_client(use_cookies=False)
    ada = token_for(shop, "ada@example.com")
    api.post(
        "/api/v1/cart/items",
        headers=ada,
        json={"product_id": TEE.product_id, "variant_key": TEE.variant_key, "quantity": 1},
    )
    resp = api.post("/api/v1/checkout", headers=ada, json={**ADDRESS, "country": "UK"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"][0]["field"] == "country"
    assert "Use GB (not UK) for the United Kingdom." in resp.get_json()["error"]["message"]

    empty = token_for(shop, "nocart@example.com")
    assert api.post("/api/v1/checkout", headers=empty, json=ADDRESS).status_code == 409
