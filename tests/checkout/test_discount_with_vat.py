"""A discount code and VAT together, through the shop's checkout form and the Stripe and
PayPal emulators: the VAT is on what the shopper pays (after the discount), and every
provider charges the order's total."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import select

from storefront.container import services
from storefront.discounts import services as discounts
from storefront.discounts.schemas import DiscountIn
from storefront.orders.models import Order
from storefront.vat import vat_inside
from tests.checkout.conftest import Shop, add_to_cart, checkout, press, shop_path
from tests.support.timing import ANSWERED_TIMEOUT

GOODS, SHIPPING = 3 * 2900, 495  # three tees, the table's rate to Germany
DISCOUNT = 870  # 10 % of the goods
TOTAL = GOODS + SHIPPING - DISCOUNT  # 83.25
VAT = 1329  # 19 % inside 83.25 (Germany); 14.68 would be the VAT before the discount


def _order(shop: Shop) -> Order:
    with services(shop.app).db.session_scope() as session:
        return session.execute(select(Order)).scalar_one()


def _start(shop: Shop, provider: str) -> str:
    with services(shop.app).db.session_scope(write=True) as session:
        discounts.create(
            session,
            DiscountIn.model_validate({"code": "TENOFF", "kind": "percent", "percent": 10}),
            actor="test",
        )
    add_to_cart(shop.client, quantity=3)
    resp = checkout(shop.client, provider=provider, discount_code="tenoff")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    order = _order(shop)
    assert (order.discount_amount, order.shipping_amount, order.total_amount) == (
        DISCOUNT,
        SHIPPING,
        TOTAL,
    )
    assert vat_inside(Decimal(19), TOTAL) == VAT
    assert order.vat_amount == VAT
    assert order.vat is not None and order.vat.gross.amount == TOTAL
    assert order.vat.total_net.amount == TOTAL - VAT
    return str(resp.headers["Location"])


def test_stripe_takes_the_coupon_and_derives_the_vat_after_it(shop: Shop) -> None:
    pay_url = _start(shop, "stripe")
    session = next(iter(shop.stripe.sessions.values()))
    assert session["amount_total"] == TOTAL
    assert session["total_details"]["amount_discount"] == DISCOUNT
    assert session["discounts"] and session["discounts"][0]["coupon"] in shop.stripe.coupons
    (rate,) = shop.stripe.tax_rates.values()
    assert (rate["percentage"], rate["inclusive"]) == (19.0, True)
    # Stripe spreads the coupon over the goods (87.00) and the shipping line (4.95):
    # 8.23 and 0.47, then takes 19 % out of 78.77 and 4.48 on their own: 12.58 + 0.72.
    assert session["total_details"]["amount_tax"] == 1258 + 72
    assert abs(session["total_details"]["amount_tax"] - VAT) <= 2  # a cent per line at most
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        page = browser.get(pay_url).text
        assert "Pay 83.25 EUR" in page and "Tax (included)" in page and "TENOFF" in page
        done = press(browser, pay_url, "pay")
    shop.client.get(shop_path(done.headers["Location"]))
    assert _order(shop).status == "paid"  # the amount Stripe took matched the order's total


def test_paypal_gets_net_figures_with_the_vat_after_the_discount(shop: Shop) -> None:
    pay_url = _start(shop, "paypal")
    paypal_order = next(iter(shop.paypal.orders.values()))
    amount = paypal_order["purchase_units"][0]["amount"]
    assert amount["value"] == "83.25"
    parts = {k: Decimal(v["value"]) for k, v in amount["breakdown"].items()}
    assert parts["tax_total"] == Decimal("13.29")
    assert parts["item_total"] + parts["tax_total"] + parts["shipping"] - parts.get(
        "shipping_discount", Decimal(0)
    ) - parts["discount"] == Decimal("83.25")
    items = paypal_order["purchase_units"][0]["items"]
    assert (
        sum(Decimal(i["unit_amount"]["value"]) * int(i["quantity"]) for i in items)
        == (parts["item_total"])
    )
    page = shop.paypal_http.get(pay_url).text
    assert "Tax" in page and "Discount" in page
    approved = press(shop.paypal_http, pay_url, "approve")
    shop.client.get(shop_path(approved.headers["Location"]))
    assert _order(shop).status == "paid"
