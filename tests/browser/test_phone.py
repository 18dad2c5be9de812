"""In Chromium on a phone-sized screen (390 × 844): "Add to cart" is there without scrolling,
tapping the cart's quantity box edits the quantity (it used to hit "Remove" lying on top and
empty the cart), and the checks of ``test_every_page`` do catch that old layout and an axe
violation."""

from __future__ import annotations

import re

import pytest

from tests.browser.checks import covered_controls, serious_axe_violations
from tests.browser.conftest import LiveShop

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone(browser, module_shop: LiveShop):  # type: ignore[no-untyped-def]
    """One phone for the module, with one shirt in its cart."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(module_shop.url + "/products/skeleton-gardener")
    page.click("label.size:has-text('XL')")
    page.click("button:has-text('Add to cart')")
    assert page.locator(".mini-cart .count").inner_text() == "1"
    yield page
    context.close()


def test_add_to_cart_is_visible_without_scrolling(phone, module_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    """On every product page of the demo catalog (long titles, limited editions with "only
    N left" under the sizes, three colours): the first screen holds a picture, the sizes and
    "Add to cart", and nothing lies on the button."""
    sitemap = phone.request.get(module_shop.url + "/sitemap.xml").text()
    products = re.findall(r"<loc>[^<]*(/products/[^<]+)</loc>", sitemap)
    assert len(products) >= 13
    for path in products:
        phone.goto(module_shop.url + path)
        assert phone.evaluate("window.scrollY") == 0
        button = phone.locator("form.picker button[type=submit]")
        box = button.bounding_box()
        assert box is not None, path
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (path, box)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        hit = phone.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent", [x, y])
        assert hit in ("Add to cart", "Sold out"), (path, hit)
        for selector in (".sizes li:last-child label", ".gallery img >> nth=0"):
            box = phone.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], (path, selector)


def test_tapping_the_quantity_edits_it_and_keeps_the_cart(phone, module_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    phone.goto(module_shop.url + "/cart")
    quantity = phone.locator(".qty-form input[name=quantity]")
    box = quantity.bounding_box()
    assert box is not None
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert phone.evaluate("document.activeElement.name") == "quantity"
    phone.goto(module_shop.url + "/cart")
    assert phone.locator(".mini-cart .count").inner_text() == "1"
    quantity.fill("2")
    phone.click("button:has-text('Update')")
    assert phone.locator(".mini-cart .count").inner_text() == "2"
    assert covered_controls(phone)[1] == []


def test_the_overlap_check_catches_the_old_cart_layout(phone, module_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    phone.goto(module_shop.url + "/cart")
    checked, covered = covered_controls(phone)
    assert checked > 5 and covered == []
    # Put back the phone layout the cart had before (two columns, every part auto-placed):
    # the quantity box lands in the 64 px column and "Remove" lies on it.
    phone.evaluate(
        """() => {
        for (const line of document.querySelectorAll('.cart-line')) {
          line.style.gridTemplateColumns = '64px 1fr';
          for (const part of line.children) part.style.gridColumn = 'auto';
        }
    }"""
    )
    checked, covered = covered_controls(phone)
    assert any("input" in c and "Remove" in c for c in covered), covered


def test_the_axe_check_catches_a_field_without_a_name(phone, module_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    phone.goto(module_shop.url + "/cart")
    assert serious_axe_violations(phone) == []
    phone.evaluate("() => document.querySelector('.qty-form label').remove()")
    found = serious_axe_violations(phone)
    assert any(v.startswith("label (critical)") for v in found), found
