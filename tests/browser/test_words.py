"""In Chromium: the checkout's errors are written for people and sit next to their fields;
countries are chosen by name and shown by name; and a pending order page turns into the
thank-you by itself when the payment's webhook lands (a static script, CSP untouched)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import LiveShop
from tests.browser.test_shopper import add_a_shirt
from tests.support.timing import ANSWERED_TIMEOUT

pytestmark = pytest.mark.browser

REQUIRED = {
    "email": "Please enter your e-mail.",
    "first_name": "Please enter your first name.",
    "last_name": "Please enter your last name.",
    "address_line1": "Please enter your address.",
    "city": "Please enter your city.",
    "post_code": "Please enter your postcode.",
}


def csp_reports(page) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def test_checkout_errors_are_sentences_next_to_their_fields(page, live_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    add_a_shirt(page, live_shop)
    page.click("text=Check out")
    page.click("button.button-big")  # everything empty (the form is novalidate)
    page.wait_for_selector("#f-first_name-error")
    body = page.inner_text("main")
    assert "String should" not in body and "Field required" not in body
    assert "First name First name" not in body
    for name, sentence in REQUIRED.items():
        field = page.locator(f"#f-{name}")
        error = page.locator(f"#f-{name}-error")
        assert error.inner_text() == sentence
        assert field.get_attribute("aria-invalid") == "true"
        assert f"f-{name}-error" in (field.get_attribute("aria-describedby") or "").split()
        # Next to the field: right below it, in the same column.
        box, under = field.bounding_box(), error.bounding_box()
        assert box and under
        assert 0 <= under["y"] - (box["y"] + box["height"]) < 40
        assert abs(under["x"] - box["x"]) < 40
    assert page.locator("p.error").count() == len(REQUIRED)  # one per field, nothing else
    assert page.locator("[role=alert]").first.inner_text() == "Please fix the fields marked below."

    page.fill("#f-email", "ada@")
    page.click("button.button-big")
    page.wait_for_selector("#f-email-error")
    assert page.inner_text("#f-email-error") == (
        "Please enter a valid e-mail address, like name@example.com."
    )


def test_the_country_is_chosen_and_shown_by_name_with_checkouts_shipping_label(
    page, live_shop: LiveShop
) -> None:  # type: ignore[no-untyped-def]
    add_a_shirt(page, live_shop)
    page.click("text=Check out")
    names = page.locator("#f-country option").all_inner_texts()
    assert names == sorted(names)  # by name: 31 countries are found by reading, not by code
    assert {"Germany", "Austria", "Romania", "United Kingdom"} <= set(names)
    assert not any(re.fullmatch(r"[A-Z]{2}", n) for n in names)
    page.select_option("#f-country", label="Austria")
    page.click("button:has-text('Update shipping for this country')")
    label = page.locator("input[name=shipping_method]:checked >> xpath=..").inner_text()
    chosen = label.split(" — ")[0].strip()  # "Standard (3–6 working days)"
    assert "working days" in chosen
    page.fill("#f-email", "ada@example.com")
    page.fill("#f-first_name", "Ada")
    page.fill("#f-last_name", "Lovelace")
    page.fill("#f-address_line1", "Mariahilfer Straße 1")
    page.fill("#f-city", "Wien")
    page.fill("#f-post_code", "1060")
    page.click("button.button-big")
    page.wait_for_url(re.compile(r".*/_emulators/stripe/pay/.*"))
    page.click("button.pay")
    page.wait_for_url(re.compile(r".*/orders/SF-.*"))
    assert "1060 Wien\nAustria" in page.inner_text("address")
    assert f"Shipping: {chosen}" in page.inner_text("table")
    assert re.search(r"Placed on \d{1,2} \w+ 20\d\d", page.inner_text(".order-meta"))


def test_the_pending_page_flips_to_paid_by_itself_when_the_webhook_lands(
    page, live_shop: LiveShop
) -> None:  # type: ignore[no-untyped-def]
    violations = csp_reports(page)
    add_a_shirt(page, live_shop)
    page.click("text=Check out")
    page.fill("#f-email", "ada@example.com")
    page.fill("#f-first_name", "Ada")
    page.fill("#f-last_name", "Lovelace")
    page.fill("#f-address_line1", "Kastanienallee 1")
    page.fill("#f-city", "Berlin")
    page.fill("#f-post_code", "10435")
    page.click("button.button-big")
    page.wait_for_url(re.compile(r".*/_emulators/stripe/pay/.*"))
    session_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
    page.click("button.later")
    page.wait_for_url(re.compile(r".*/orders/SF-.*"))
    notice = page.locator("[data-status-url]")
    assert "Processing your payment" in notice.inner_text()
    assert page.locator(".order-status").inner_text() == "Waiting for payment"
    assert page.locator(".notice-thanks").count() == 0
    # The page must now be asking on its own: wait for one poll before the money arrives.
    with page.expect_response(lambda r: "/status?" in r.url and r.status == 200):
        pass
    settled = httpx.post(
        f"{live_shop.url}/_emulators/stripe/_emulator/commands/settle_async",
        json={"session_id": session_id, "succeeded": True},
        timeout=ANSWERED_TIMEOUT,
    )
    assert settled.status_code == 200, settled.text
    # No reload from the test: the page's own script notices and reloads.
    page.wait_for_selector(".notice-thanks")
    assert "Thank you, Ada!" in page.inner_text(".notice-thanks")
    assert page.locator(".order-status").inner_text() in ("Paid", "Sent to the printer")
    assert page.locator("[data-status-url]").count() == 0
    assert violations == []
