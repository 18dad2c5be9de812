"""In Chromium: a shopper registers, buys, finds the order in their history; an operator
logs in, sets up two-factor login (reading the secret off the page, the code from pyotp),
refunds the order, and logs in again with a code; the shopper's order page shows the refund."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.orders.models import Order
from tests.browser.conftest import LiveShop
from tests.browser.test_shopper import add_a_shirt, fill_checkout

pytestmark = pytest.mark.browser


@pytest.fixture
def live_shop_overrides() -> dict[str, object]:
    return {"staff_2fa_required": True}


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
    assert number in shopper.content()

    with services(live_shop.app).db.session_scope(write=True) as session:
        accounts.register(session, "op@example.com", "operator password!", role="operator")
    operator = browser.new_context().new_page()
    operator.goto(live_shop.url + "/login?next=/admin")
    operator.fill("#f-email", "op@example.com")
    operator.fill("#f-password", "operator password!")
    operator.click("button:has-text('Log in')")
    operator.wait_for_url(re.compile(r".*/account/two-factor$"))  # staff enrol first
    assert operator.locator("figure.qr svg").count() == 1
    totp = pyotp.TOTP(operator.inner_text("#totp-secret").strip())
    operator.fill("#f-code", totp.now())
    operator.click("button:has-text('Turn on two-factor login')")
    assert operator.locator("ul.recovery-codes li").count() == 10
    operator.click("text=Continue to the dashboard")
    operator.click(f"text={number}")
    operator.click("text=Refund…")
    operator.fill("#f-amount", "10.00")
    operator.fill("#f-reason", "a loose thread")
    operator.click("button:has-text('Confirm refund')")
    assert "Refund succeeded" in operator.content()

    again = browser.new_context().new_page()  # another day: password, then a code
    again.goto(live_shop.url + "/login?next=/admin/orders")
    again.fill("#f-email", "op@example.com")
    again.fill("#f-password", "operator password!")
    again.click("button:has-text('Log in')")
    again.wait_for_url(re.compile(r".*/login/code$"))
    again.fill("#f-code", totp.at(time.time() + 30))  # the next step: the last one was used
    again.click("button:has-text('Log in')")
    again.wait_for_url(re.compile(r".*/admin/orders$"))
    assert number in again.content()

    shopper.goto(live_shop.url + f"/orders/{number}")
    assert "Refund (succeeded)" in shopper.content()
    assert "-€10.00" in shopper.content()
    with services(live_shop.app).db.session_scope() as session:
        assert session.execute(select(Order.refunded_amount)).scalar_one() == 1000
