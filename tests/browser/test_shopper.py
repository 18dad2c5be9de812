"""In Chromium, on the embedded dev shop: browse → product → pick a size → add to cart →
change the quantity → pay through the local Stripe page, and through the local PayPal page."""

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.container import services
from storefront.orders.models import Order
from tests.browser.conftest import LiveShop

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("STOREFRONT_SCREENSHOTS")


#: The README's screenshots: ``<name>.png`` at a laptop's width, ``<name>-phone.png`` at a
#: phone's (the first screen of each, once the pictures in it have loaded).
SHOT_SIZES = {"": {"width": 1280, "height": 900}, "-phone": {"width": 390, "height": 844}}
_PICTURES_IN_VIEW_LOADED = """() => [...document.images].filter(img => {
  const box = img.getBoundingClientRect();
  return box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
}).every(img => img.complete)"""


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for suffix, size in SHOT_SIZES.items():
        page.set_viewport_size(size)
        page.wait_for_function(_PICTURES_IN_VIEW_LOADED)
        page.screenshot(path=str(Path(SHOTS) / f"{name}{suffix}.png"))
    page.set_viewport_size(before)


def fill_checkout(page, provider: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#f-email", "ada@example.com")
    page.fill("#f-first_name", "Ada")
    page.fill("#f-last_name", "Lovelace")
    page.fill("#f-address_line1", "Kastanienallee 1")
    page.fill("#f-city", "Berlin")
    page.fill("#f-post_code", "10435")
    page.check(f"input[name=provider][value={provider}]")
    page.click("button.button-big")


def add_a_shirt(page, shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    page.goto(shop.url + "/")
    shot(page, "home")
    page.click("text=Shop the designs")
    page.click("text=Skeleton Gardener")
    assert page.locator("h1").inner_text() == "Skeleton Gardener"
    page.click("label.size:has-text('XL') >> nth=0")
    shot(page, "product")
    page.click("button:has-text('Add to cart')")
    assert "Added 1 ×" in page.content()
    assert page.locator(".mini-cart .count").inner_text() == "1"


def test_browse_pick_size_add_and_change_quantity(page, live_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    add_a_shirt(page, live_shop)
    page.fill("input[name=quantity]", "3")
    page.click("button:has-text('Update')")
    assert page.locator(".mini-cart .count").inner_text() == "3"
    assert "€96.00" in page.content()  # 3 × €32.00, priced by the server
    shot(page, "cart")


def test_pay_on_the_local_stripe_page(page, live_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    add_a_shirt(page, live_shop)
    page.click("text=Check out")
    fill_checkout(page, "stripe")
    page.wait_for_url(re.compile(r".*/_emulators/stripe/pay/.*"))
    page.click("button.pay")
    page.wait_for_url(re.compile(r".*/orders/SF-.*"))
    assert "Order SF-" in page.content()
    with services(live_shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.status in ("paid", "submitted")
        assert order.payment_provider == "stripe"


def test_pay_on_the_local_paypal_page(page, live_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    add_a_shirt(page, live_shop)
    page.click("text=Check out")
    fill_checkout(page, "paypal")
    page.wait_for_url(re.compile(r".*/_emulators/paypal/.*"))
    page.click("button.approve")
    page.wait_for_url(re.compile(r".*/orders/SF-.*"))
    with services(live_shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.status in ("paid", "submitted")
        assert order.payment_provider == "paypal"
