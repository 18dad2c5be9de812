"""The payment jobs as the scheduler runs them: a dry run changes nothing, a second run neither."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from storefront.container import services
from storefront.db import utcnow
from storefront.orders.models import Order
from sync.registry import load_jobs
from sync.runner import run_job
from tests.checkout.conftest import Shop, add_to_cart, checkout, press, shop_path
from tests.checkout.test_pay_with_emulators import PAID_ONCE, start_stripe, tally
from tests.support.timing import ANSWERED_TIMEOUT


def test_payments_job_catches_a_lost_webhook_once(shop: Shop) -> None:
    pay_url = start_stripe(shop)
    shop.stripe.webhooks.drop_next(times=10)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, pay_url, "pay")
    pending = tally(shop)
    assert pending["orders"] == ["pending_payment"]
    load_jobs()

    dry = run_job(shop.app, "payments", dry_run=True)
    assert dry.ok, dry.error
    assert tally(shop) == pending

    real = run_job(shop.app, "payments")
    assert real.ok, real.error
    assert real.counts.changed >= 1
    assert tally(shop) == PAID_ONCE

    again = run_job(shop.app, "payments")
    assert again.ok, again.error
    assert again.counts.changed == 0
    assert tally(shop) == PAID_ONCE


def test_reservations_job_cancels_a_lapsed_order_once(shop: Shop) -> None:
    start_stripe(shop)  # the shopper never pays
    with services(shop.app).db.session_scope(write=True) as session:
        session.execute(update(Order).values(payment_expires_at=utcnow() - timedelta(minutes=1)))
    load_jobs()

    dry = run_job(shop.app, "reservations", dry_run=True)
    assert dry.ok, dry.error
    assert tally(shop)["orders"] == ["pending_payment"]

    real = run_job(shop.app, "reservations")
    assert real.ok, real.error
    assert real.counts.changed == 1
    assert tally(shop)["orders"] == ["cancelled"]

    again = run_job(shop.app, "reservations")
    assert again.ok, again.error
    assert again.counts.changed == 0
    assert tally(shop)["orders"] == ["cancelled"]


def test_payments_job_asks_at_once_about_a_returned_paypal_shopper(shop: Shop) -> None:
    """Approved at PayPal, the webhooks lost, PayPal not answering when the shopper came
    back: the next payments run (not one half an hour later) captures and confirms it."""
    assert add_to_cart(shop.client).status_code == 303
    resp = checkout(shop.client, provider="paypal")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    shop.paypal.webhooks.drop_next(times=10)
    approved = press(shop.paypal_http, resp.headers["Location"], "approve")
    shop.paypal.faults.fail_next("POST /v2/checkout/orders/*/capture", times=10)
    back = shop.client.get(shop_path(approved.headers["Location"]))
    assert back.status_code == 303
    assert tally(shop)["orders"] == ["pending_payment"]
    shop.paypal.faults.clear()
    load_jobs()

    run = run_job(shop.app, "payments")  # with the default 30-minute grace
    assert run.ok, run.error
    assert tally(shop)["orders"] == ["paid"]


def test_payments_job_leaves_an_abandoned_checkout_for_the_grace_period(shop: Shop) -> None:
    assert add_to_cart(shop.client).status_code == 303
    resp = checkout(shop.client, provider="paypal")
    assert resp.status_code == 303  # and the shopper never comes back
    load_jobs()
    run = run_job(shop.app, "payments")
    assert run.ok, run.error
    assert run.counts.read == 0  # nobody asked PayPal about it yet
    assert tally(shop)["orders"] == ["pending_payment"]
