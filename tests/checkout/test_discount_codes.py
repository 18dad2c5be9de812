"""Discount codes at the door: the checkout page, Stripe's and PayPal's pages, the API,
the dashboard, and the use given back when a checkout is abandoned."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from storefront.container import services
from storefront.discounts import services as discounts
from storefront.discounts.models import DiscountCode, DiscountRedemption
from storefront.discounts.schemas import DiscountIn
from storefront.orders.models import Order
from tests.checkout.conftest import Shop, add_to_cart, checkout, press, shop_path
from tests.checkout.fakes import TEE
from tests.support.timing import ANSWERED_TIMEOUT

SHIPPING = 495  # the table's "normal" rate to DE in these tests


def make_code(shop: Shop, **terms: object) -> None:
    with services(shop.app).db.session_scope(write=True) as session:
        discounts.create(session, DiscountIn.model_validate(terms), actor="test")


def only_order(shop: Shop) -> Order:
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        _ = list(order.items)
        return order


def code_state(shop: Shop) -> tuple[int, list[str]]:
    with services(shop.app).db.session_scope() as session:
        code = session.execute(select(DiscountCode)).scalar_one()
        uses = [r.status for r in session.execute(select(DiscountRedemption)).scalars()]
        return code.uses, uses


def test_a_percent_code_reaches_stripe_as_a_coupon_and_is_consumed_when_paid(shop: Shop) -> None:
    make_code(shop, code="COMPOST-15", kind="percent", percent=15, max_uses=3)
    add_to_cart(shop.client, quantity=3)  # 3 × 29.00 = 87.00; 15 % = 13.05
    resp = checkout(shop.client, discount_code=" compost-15 ")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    order = only_order(shop)
    assert (order.discount_code, order.discount_amount) == ("COMPOST-15", 1305)
    assert order.total_amount == 8700 + SHIPPING - 1305
    assert [i.discount_amount for i in order.items] == [1305]
    stripe_session = next(iter(shop.stripe.sessions.values()))
    assert stripe_session["amount_total"] == order.total_amount
    assert stripe_session["total_details"]["amount_discount"] == 1305
    coupon = shop.stripe.coupons[stripe_session["discounts"][0]["coupon"]]
    assert (coupon["amount_off"], coupon["currency"], coupon["name"]) == (1305, "eur", "COMPOST-15")
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        page = browser.get(resp.headers["Location"]).text
        assert "Discount (COMPOST-15)" in page and "-13.05 EUR" in page
        assert "Pay 78.90 EUR" in page
        done = press(browser, resp.headers["Location"], "pay")
    shop.client.get(shop_path(done.headers["Location"]))
    assert only_order(shop).status == "paid"
    assert code_state(shop) == (1, ["consumed"])


def test_a_fixed_code_reaches_paypal_in_the_amount_breakdown(shop: Shop) -> None:
    make_code(shop, code="FIVER", kind="fixed", amounts={"EUR": 500, "GBP": 450})
    add_to_cart(shop.client)
    resp = checkout(shop.client, provider="paypal", discount_code="FIVER")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    paypal_order = next(iter(shop.paypal.orders.values()))
    amount = paypal_order["purchase_units"][0]["amount"]
    assert amount["value"] == "28.95"  # 29.00 + 4.95 − 5.00, which PayPal checks to the cent
    # Germany: the breakdown is net of VAT, and the VAT is on what is paid (19% in 28.95)
    breakdown = amount["breakdown"]
    assert breakdown["discount"] == {"currency_code": "EUR", "value": "4.20"}  # 5.00 − 0.80
    assert breakdown["tax_total"] == {"currency_code": "EUR", "value": "4.62"}
    assert only_order(shop).vat_amount == 462
    page = shop.paypal_http.get(resp.headers["Location"]).text
    assert "Discount" in page and "-4.20" in page and "Tax" in page
    approved = press(shop.paypal_http, resp.headers["Location"], "approve")
    shop.client.get(shop_path(approved.headers["Location"]))
    assert only_order(shop).status == "paid"


def test_free_shipping_lowers_the_shipping_rate_stripe_shows(shop: Shop) -> None:
    make_code(shop, code="SHIPFREE", kind="free_shipping", min_subtotal={"EUR": 2500})
    add_to_cart(shop.client)
    resp = checkout(shop.client, discount_code="shipfree")
    assert resp.status_code == 303
    order = only_order(shop)
    assert (order.shipping_amount, order.shipping_discount_amount) == (SHIPPING, SHIPPING)
    assert order.total_amount == TEE.unit_amount
    stripe_session = next(iter(shop.stripe.sessions.values()))
    assert stripe_session["amount_total"] == TEE.unit_amount
    assert stripe_session["total_details"]["amount_shipping"] == 0


def test_a_wrong_code_is_explained_and_the_checkout_goes_on_without_it(shop: Shop) -> None:
    add_to_cart(shop.client)
    page = shop.client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="checkout_key" value="([^"]+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert key and token
    applied = shop.client.post(
        "/checkout",
        data={
            "csrf_token": token.group(1),
            "checkout_key": key.group(1),
            "country": "DE",
            "discount_code": "NOPE-NOPE",
            "action": "update",
        },
    )
    text = applied.get_data(as_text=True)
    assert "We don&#39;t know the code &#39;NOPE-NOPE&#39;; check its spelling." in text
    assert "Pay €33.95" in text
    resp = checkout(shop.client, discount_code="NOPE-NOPE")
    assert resp.status_code == 303 and "/pay/" in resp.headers["Location"]
    order = only_order(shop)
    assert (order.discount_code, order.total_amount) == (None, TEE.unit_amount + SHIPPING)
    with shop.client.session_transaction() as flask_session:
        flashed = [m for _, m in flask_session.get("_flashes", [])]
    assert any("placed without it" in m for m in flashed), flashed


def test_the_checkout_page_shows_the_discount_before_paying(shop: Shop) -> None:
    make_code(shop, code="TENOFF", kind="percent", percent=10)
    add_to_cart(shop.client, quantity=2)
    page = shop.client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="checkout_key" value="([^"]+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert key and token
    text = shop.client.post(
        "/checkout",
        data={
            "csrf_token": token.group(1),
            "checkout_key": key.group(1),
            "country": "DE",
            "discount_code": "tenoff",
            "action": "update",
        },
    ).get_data(as_text=True)
    assert "TENOFF applied: −€5.80" in text
    assert "Pay €57.15" in text  # 58.00 + 4.95 − 5.80


def test_an_abandoned_checkout_gives_its_use_back(shop: Shop) -> None:
    make_code(shop, code="LASTONE", kind="percent", percent=20, max_uses=1)
    add_to_cart(shop.client)
    resp = checkout(shop.client, discount_code="LASTONE")
    assert resp.status_code == 303
    assert code_state(shop) == (1, ["held"])
    number = only_order(shop).number
    cancel_url = next(iter(shop.stripe.sessions.values()))["cancel_url"]
    assert number in cancel_url
    shop.client.get(shop_path(cancel_url))
    assert only_order(shop).status == "cancelled"
    assert code_state(shop) == (0, ["released"])
