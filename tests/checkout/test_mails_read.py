"""The e-mails a shopper gets, read rather than counted: who gets them, the order number,
the amounts, and links that open the right page for someone who is not logged in."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from storefront.container import services
from storefront.orders.models import Order
from tests.checkout.conftest import ADDRESS, Shop, add_to_cart, checkout, press, shop_path
from tests.support.mail import mails
from tests.support.timing import ANSWERED_TIMEOUT


def pay(shop: Shop, action: str = "pay") -> Order:
    assert add_to_cart(shop.client, quantity=2).status_code == 303
    started = checkout(shop.client)
    assert started.status_code == 303, started.get_data(as_text=True)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, started.headers["Location"], action)
    with services(shop.app).db.session_scope() as session:
        return session.execute(select(Order).order_by(Order.id.desc())).scalars().first()  # type: ignore[return-value]


def test_the_confirmation_names_the_order_its_lines_and_total_and_links_to_it(
    shop: Shop,
) -> None:
    order = pay(shop)
    [mail] = mails(shop.app, "order_confirmation")
    assert mail.to == ADDRESS["email"]
    assert mail.subject == f"Your order {order.number} is confirmed"
    assert f"Order {order.number} is paid and confirmed." in mail.text
    assert "- 2 × Compost Happens (Black, M) — €58.00" in mail.text
    assert "Total: €62.95" in mail.text  # 2 × 29.00 + 4.95 shipping
    assert order.total_amount == 6295
    # Germany: 19% inside 62.95 (goods and shipping) is 10.05
    assert "Includes VAT 19%: €10.05 (net €52.90)" in mail.text
    assert "Includes VAT 19%: €10.05 (net €52.90)" in mail.html
    assert order.vat_amount == 1005
    assert f"{order.number}" in mail.html and "€62.95" in mail.html
    [link] = mail.links
    stranger = shop.app.test_client()  # the shopper's phone: no session, no cookie
    page = stranger.get(shop_path(link))
    assert page.status_code == 200
    assert order.number in page.get_data(as_text=True)
    assert "Includes VAT 19% (net €52.90)</td><td>€10.05" in page.get_data(as_text=True)


def test_a_failed_payment_says_which_order_and_why(shop: Shop) -> None:
    order = pay(shop, "pay_later")
    session_id = shop.stripe.sessions and next(iter(shop.stripe.sessions))
    shop.stripe.settle_async(session_id, succeeded=False)
    [mail] = mails(shop.app, "payment_failed")
    assert mail.to == ADDRESS["email"]
    assert mail.subject == f"Your payment for order {order.number} did not go through"
    assert f"The payment for order {order.number} did not go through (" in mail.text
    assert "Nothing was charged" in mail.text
    assert mails(shop.app, "order_confirmation") == []
