"""In Chromium: a shopper registers, buys, finds the order in their history; an operator
logs in and refunds it; the shopper's order page shows the refund."""

import re

import pytest
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.orders.models import Order
from tests.browser.conftest import LiveShop
from tests.browser.test_shopper import add_a_shirt, fill_checkout

pytestmark = pytest.mark.browser


def test_register_buy_history_refund(browser, live_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    shopper = browser.new_context().new_page()
    shopper.goto(live_shop.url + "/register")
    shopper.fill("#f-email", "ada@example.com")
    shopper.fill("#f-password", "correct horse battery")
    shopper.click("button:has-text('Create account')")
    assert "ada@example.com" in shopper.content()

    add_a_shirt(shopper, live_shop)
    shopper.click("text=Check out")
    fill_checkout(shopper, "stripe")
    shopper.wait_for_url(re.compile(r".*/_emulators/stripe/pay/.*"))
    shopper.click("button.pay")
    shopper.wait_for_url(re.compile(r".*/orders/SF-.*"))
    number = re.search(r"Order (SF-[A-Z0-9]+)", shopper.content()).group(1)  # type: ignore[union-attr]
    shopper.goto(live_shop.url + "/account")
    row = shopper.locator("tr", has_text=number)
    assert row.locator("td").nth(2).inner_text() in ("Paid", "Sent to the printer")
    row.locator(f"a:has-text('{number}')").click()  # the history links to the order
    shopper.wait_for_url(re.compile(rf".*/orders/{number}$"))
    assert f"Order {number}" in shopper.inner_text("h1")

    with services(live_shop.app).db.session_scope(write=True) as session:
        accounts.register(session, "op@example.com", "operator password!", role="operator")
    operator = browser.new_context().new_page()
    operator.goto(live_shop.url + "/login?next=/admin")
    operator.fill("#f-email", "op@example.com")
    operator.fill("#f-password", "operator password!")
    operator.click("button:has-text('Log in')")
    operator.click(f"text={number}")
    operator.click("text=Refund…")
    operator.fill("#f-amount", "10.00")
    operator.fill("#f-reason", "a loose thread")
    operator.click("button:has-text('Confirm refund')")
    assert "Refund succeeded" in operator.content()

    shopper.goto(live_shop.url + f"/orders/{number}")
    assert "Refunded on" in shopper.content()
    assert "-€10.00" in shopper.content()
    with services(live_shop.app).db.session_scope() as session:
        assert session.execute(select(Order.refunded_amount)).scalar_one() == 1000
