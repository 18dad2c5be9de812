"""In Chromium, at a phone's width (390 px) and a laptop's (1280 px): every page of the shop
and of the operator side, as a shopper and an operator reach them, has no control covered by
another (the centre of every button, link and field hits that element), is no wider than the
screen, and has no serious or critical axe-core violation. One shop for the module; each page
is loaded once and checked at both widths."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.money import format_money
from storefront.orders.models import Order
from tests.browser.checks import (
    broken_amounts,
    covered_controls,
    page_overflow,
    serious_axe_violations,
)
from tests.browser.conftest import LiveShop
from tests.browser.test_shopper import add_a_shirt, fill_checkout

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
WIDTHS = (PHONE, LAPTOP)


class Walk:
    """Checks pages at both widths; remembers what it checked and what it found."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.controls = 0
        self.problems: list[str] = []

    def check(self, page, label: str) -> None:  # type: ignore[no-untyped-def]
        page.wait_for_load_state("load")
        for size in WIDTHS:
            page.set_viewport_size(size)
            where = f"{label} at {size['width']} px ({page.url})"
            checked, covered = covered_controls(page)
            self.controls += checked
            self.problems += [f"{where}: {c}" for c in covered]
            self.problems += [f"{where}: axe {v}" for v in serious_axe_violations(page)]
            if (wider := page_overflow(page)) > 0:
                self.problems.append(f"{where}: the page is {wider} px wider than the screen")
            self.problems += [f"{where}: the amount {a} wraps" for a in broken_amounts(page)]
            if checked == 0:
                self.problems.append(f"{where}: no control found to check")
        self.pages.append(label)

    def visit(self, page, url: str, label: str, status: int = 200) -> None:  # type: ignore[no-untyped-def]
        page.set_viewport_size(PHONE)
        response = page.goto(url)
        assert response is not None and response.status == status, (label, url)
        self.check(page, label)

    def assert_clean(self, expected_pages: int) -> None:
        assert len(self.pages) == expected_pages, self.pages
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture(scope="module")
def walk() -> Walk:
    return Walk()


@pytest.fixture(scope="module")
def order_number(browser, module_shop: LiveShop, walk: Walk):  # type: ignore[no-untyped-def]
    """A shopper walks the shop front: anonymous pages, then an account, a cart, checkout, a
    paid order and the account pages. Yields the order's number for the operator."""
    url = module_shop.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    walk.visit(page, url + "/", "home")
    walk.visit(page, url + "/shop", "listing")
    walk.visit(page, url + "/shop/gallows-humour", "collection")
    walk.visit(page, url + "/products/skeleton-gardener", "product")
    walk.visit(page, url + "/search?q=skull", "search")
    walk.visit(page, url + "/search?q=nothing-like-this", "search without results")
    walk.visit(page, url + "/pages/about", "content page")
    walk.visit(page, url + "/products/no-such-shirt", "not found", status=404)
    walk.visit(page, url + "/api/v1/docs", "API reference")
    walk.visit(page, url + "/cart", "empty cart")
    walk.visit(page, url + "/login", "login")
    walk.visit(page, url + "/account/password-reset", "password reset")
    walk.visit(page, url + "/register", "register")
    page.fill("#f-email", "walker@example.com")
    page.fill("#f-password", "correct horse battery")
    page.click("button:has-text('Create account')")
    page.set_viewport_size(LAPTOP)
    add_a_shirt(page, module_shop)
    walk.visit(page, url + "/cart", "cart")
    walk.visit(page, url + "/checkout", "checkout")
    fill_checkout(page, "stripe")
    page.wait_for_url(re.compile(r".*/_emulators/stripe/pay/.*"))
    page.click("button.pay")
    page.wait_for_url(re.compile(r".*/orders/SF-.*"))
    walk.check(page, "order page")
    number = page.url.rsplit("/", 1)[-1].split("?")[0]
    walk.visit(page, url + "/account", "account")
    walk.visit(page, url + "/account/addresses", "addresses")
    walk.visit(page, url + "/account/delete", "delete account")
    context.close()
    return number


def test_every_shop_page_at_both_widths(order_number: str, walk: Walk) -> None:
    assert order_number.startswith("SF-")
    assert walk.controls > 200  # the walk looked at the pages' controls, not at nothing
    walk.assert_clean(expected_pages=19)


def test_every_operator_page_at_both_widths(  # type: ignore[no-untyped-def]
    browser, module_shop: LiveShop, order_number: str
) -> None:
    with services(module_shop.app).db.session_scope(write=True) as session:
        accounts.register(session, "walk-op@example.com", "operator password!", role="operator")
    walk = Walk()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(module_shop.url + "/login?next=/admin")
    page.fill("#f-email", "walk-op@example.com")
    page.fill("#f-password", "operator password!")
    page.click("button:has-text('Log in')")
    page.wait_for_url(re.compile(r".*/admin$"))
    admin = module_shop.url + "/admin"
    walk.check(page, "dashboard")
    walk.visit(page, admin + "/orders", "orders")
    walk.visit(page, f"{admin}/orders/{order_number}", "operator's order")
    walk.visit(page, f"{admin}/orders/{order_number}/refund", "refund")
    walk.visit(page, f"{admin}/orders/{order_number}/cancel", "cancel")
    walk.visit(page, admin + "/jobs", "jobs")
    walk.visit(page, admin + "/subscribers", "subscribers")
    walk.visit(page, admin + "/customers", "customers")
    walk.visit(page, admin + "/tokens", "API tokens")
    walk.visit(page, admin + "/reviews", "Reviews")
    walk.visit(page, admin + "/discounts", "Discounts")
    context.close()
    assert walk.controls > 50
    walk.assert_clean(expected_pages=11)


def test_the_operator_side_is_its_own_place(
    browser, module_shop: LiveShop, order_number: str
) -> None:  # type: ignore[no-untyped-def]
    with services(module_shop.app).db.session_scope(write=True) as session:
        accounts.register(session, "chart-op@example.com", "operator password!", role="operator")
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(module_shop.url + "/login?next=/admin")
    page.fill("#f-email", "chart-op@example.com")
    page.fill("#f-password", "operator password!")
    page.click("button:has-text('Log in')")
    page.wait_for_url(re.compile(r".*/admin$"))
    # Its own header and navigation; none of the shop's (search, cart, newsletter footer).
    assert (
        page.locator("header.site, footer.site, form.search, .mini-cart, .newsletter").count() == 0
    )
    nav = page.get_by_role("navigation", name="Operator")
    assert nav.get_by_role("link").all_inner_texts() == [
        "Dashboard",
        "Orders",
        "Jobs",
        "Subscribers",
        "Customers",
        "Reviews",
        "Discounts",
        "API tokens",
    ]
    assert nav.locator("[aria-current=page]").inner_text() == "Dashboard"
    with services(module_shop.app).db.session_scope() as session:
        paid = session.execute(select(Order.total_amount)).scalar_one()
    total = format_money(paid, "EUR")
    # The chart: an image with a name, the walker's order among its values, axes.
    chart = page.get_by_role("img", name="Revenue per day, last 14 days")
    assert chart.count() == 1
    assert f"1 order, {total} in all" in (chart.locator("desc").text_content() or "")
    values = chart.locator("text.value").all_text_contents()
    assert len(values) == 14 and values[-1] == total and values.count("€0.00") == 13
    assert chart.locator("text.tick").all_text_contents()[:3] == ["€0", "€10", "€20"]
    assert chart.locator("line.axis").count() == 2
    page.click("text=The figures as a table")
    assert page.locator(".chart-figures").get_by_role("row").last.inner_text().split("\t")[1:] == [
        "1",
        total,
    ]
    page.get_by_role("navigation", name="Operator").get_by_role("link", name="Orders").click()
    assert page.locator("[aria-current=page]").inner_text() == "Orders"
    assert order_number in page.content()
    context.close()


def test_the_size_guide_from_the_product_page(browser, module_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    walk = Walk()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(module_shop.url + "/products/skeleton-gardener")
    page.get_by_role("link", name="Size guide for Skeleton Gardener").click()
    page.wait_for_url("**/products/skeleton-gardener/size-guide")
    table = page.get_by_role(
        "table",
        name="Classic unisex crew-neck tee: measurements of the shirt laid flat, in centimetres",
    )
    assert table.get_by_role("columnheader").all_inner_texts() == [
        "Size",
        "Chest width",
        "Body length",
        "Sleeve length",
    ]
    assert table.get_by_role("rowheader").all_inner_texts() == ["S", "M", "L", "XL", "2XL"]
    assert table.get_by_role("row", name=re.compile(r"^M\b")).get_by_role(
        "cell"
    ).all_inner_texts() == ["52 cm", "74 cm", "21 cm"]
    walk.check(page, "size guide")
    context.close()
    walk.assert_clean(expected_pages=1)
