"""In Chromium, from delivery to a review on the product page: a shopper buys (ticking
"ask me for a review"), the order goes to Gelato and the emulator delivers it (its webhook
moves the order), the invite e-mail links to the form, the shopper reviews, an operator
approves it, and the product page (and its listing card) shows it to everyone."""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.orders.models import Order, OrderEvent
from sync.registry import load_jobs
from sync.runner import run_job
from tests.browser.conftest import LiveShop
from tests.browser.test_shopper import add_a_shirt, fill_checkout
from tests.support.mail import mails
from tests.support.timing import ANSWERED_TIMEOUT

pytestmark = pytest.mark.browser


def order_status(shop: LiveShop) -> str:
    with services(shop.app).db.session_scope() as session:
        return session.execute(select(Order.status)).scalar_one()


def test_delivered_order_reviewed_approved_and_shown(browser, live_shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    load_jobs()
    shopper = browser.new_context().new_page()
    shopper.set_default_timeout(60_000)
    shopper.goto(live_shop.url + "/register")
    shopper.fill("#f-email", "ada@example.com")
    shopper.fill("#f-password", "correct horse battery")
    shopper.click("button:has-text('Create account')")

    add_a_shirt(shopper, live_shop)
    shopper.click("text=Check out")
    shopper.check("input[name=review_invites]")
    fill_checkout(shopper, "stripe")
    shopper.wait_for_url(re.compile(r".*/_emulators/stripe/pay/.*"))
    shopper.click("button.pay")
    shopper.wait_for_url(re.compile(r".*/orders/SF-.*"))
    number = re.search(r"Order (SF-[A-Z0-9]+)", shopper.content()).group(1)  # type: ignore[union-attr]

    # the printer: pushed by the sync job, delivered by Gelato, told by its webhook
    assert run_job(live_shop.app, "fulfillment-push").ok
    with services(live_shop.app).db.session_scope() as session:
        gelato_id = session.execute(select(GelatoOrderRecord.gelato_order_id)).scalar_one()
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as http:
        answer = http.post(
            f"{live_shop.url}/_emulators/gelato/_emulator/commands/advance",
            json={"order_id": gelato_id, "status": "delivered"},
        )
    assert answer.status_code == 200, answer.text
    assert order_status(live_shop) == "delivered"  # the webhook was answered before "advance"

    # a week later: the invite job asks the buyer, who agreed at checkout
    with services(live_shop.app).db.session_scope(write=True) as session:
        event = session.execute(
            select(OrderEvent).where(OrderEvent.to_status == "delivered")
        ).scalar_one()
        event.created_at -= timedelta(days=8)
    assert run_job(live_shop.app, "review-invites").counts.changed == 1
    (invite,) = mails(live_shop.app, "review_invite")
    assert invite.to == "ada@example.com" and number in invite.subject

    shopper.goto(live_shop.url + urlsplit(invite.links[0]).path)
    assert "Review Skeleton Gardener" in shopper.locator("h1").inner_text()
    shopper.click("button:has-text('Send review')")  # nothing filled in: told what to fix
    assert "Rating: choose 1 to 5 stars." in shopper.content()
    shopper.check("input[name=rating][value='5']")
    shopper.fill("#f-display_name", "Ada from Berlin")
    shopper.fill("#f-body", "The skeleton still gardens after ten washes. Fits true to size.")
    shopper.click("button:has-text('Send review')")
    assert "will appear once we have read it" in shopper.content()

    with services(live_shop.app).db.session_scope(write=True) as session:
        accounts.register(session, "op@example.com", "operator password!", role="operator")
    operator = browser.new_context().new_page()
    operator.set_default_timeout(60_000)
    operator.goto(live_shop.url + "/login?next=/admin")
    operator.fill("#f-email", "op@example.com")
    operator.fill("#f-password", "operator password!")
    operator.click("button:has-text('Log in')")
    operator.click("nav >> text=Reviews")
    assert "ten washes" in operator.content()
    operator.click("button:has-text('Approve')")
    assert "Approved." in operator.content()

    visitor = browser.new_context().new_page()  # anyone, no cookies: the shared page
    visitor.set_default_timeout(60_000)
    visitor.goto(live_shop.url + "/shop")
    card_stars = visitor.locator(".card:has-text('Skeleton Gardener') .stars")
    assert card_stars.get_attribute("aria-label") == "5 out of 5, 1 review"
    visitor.click("text=Skeleton Gardener")
    reviews = visitor.locator("#reviews")
    assert "Ada from Berlin" in reviews.inner_text()
    assert "ten washes" in reviews.inner_text()
    assert "ada@example.com" not in visitor.content()
    stars = visitor.locator(".details .rating .stars")
    assert stars.get_attribute("role") == "img"
    assert stars.get_attribute("aria-label") == "5 out of 5, 1 review"
    ld = json.loads(visitor.locator("script[type='application/ld+json']").inner_text())
    assert ld["aggregateRating"]["ratingValue"] == 5.0
    assert ld["review"][0]["author"]["name"] == "Ada from Berlin"
