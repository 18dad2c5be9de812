"""The whole pay path through the provider emulators: exactly one paid order, one outbox
entry for Gelato and one e-mail, whatever the webhooks do."""

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from storefront.container import services
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from tests.checkout.conftest import Shop, add_to_cart, checkout, press, shop_path
from tests.checkout.fakes import TEE
from tests.support.services import capture, reconcile_payments
from tests.support.timing import ANSWERED_TIMEOUT


def tally(shop: Shop) -> dict[str, object]:
    with services(shop.app).db.session_scope() as session:
        orders = session.execute(select(Order.status)).scalars().all()
        outbox = dict(
            session.execute(
                select(OutboxEntry.topic, func.count()).group_by(OutboxEntry.topic)
            ).all()
        )
    return {"orders": sorted(orders), "outbox": outbox}


PAID_ONCE = {"orders": ["paid"], "outbox": {"gelato.push": 1, "email": 1}}


def start_stripe(shop: Shop) -> str:
    assert add_to_cart(shop.client).status_code == 303
    resp = checkout(shop.client)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return resp.headers["Location"]


def test_stripe_card_pay_path(shop: Shop) -> None:
    pay_url = start_stripe(shop)
    assert pay_url.startswith(shop.stripe.public_base_url)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        done = press(browser, pay_url, "pay")
    assert done.status_code in (302, 303)
    back = shop.client.get(shop_path(done.headers["Location"]))
    assert back.status_code == 303
    page = shop.client.get(back.headers["Location"]).get_data(as_text=True)
    assert "Sent to the printer" in page
    assert tally(shop) == PAID_ONCE
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.total_amount == TEE.unit_amount + 495


def test_the_same_webhook_twenty_times_confirms_once(shop: Shop) -> None:
    pay_url = start_stripe(shop)
    shop.stripe.webhooks.duplicate_next(times=5, copies=19)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, pay_url, "pay")
    completed = {e["id"] for e in shop.stripe.events if e["type"] == "checkout.session.completed"}
    delivered = [a for a in shop.stripe.webhooks.attempts if a.event_id in completed and a.ok]
    assert len(delivered) == 20
    assert tally(shop) == PAID_ONCE


def test_out_of_order_delivery_still_confirms_once(shop: Shop) -> None:
    pay_url = start_stripe(shop)
    shop.stripe.webhooks.delay_next(times=10)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, pay_url, "pay")
    assert tally(shop)["orders"] == ["pending_payment"]
    shop.stripe.webhooks.deliver_pending(reverse=True)
    assert tally(shop) == PAID_ONCE


def test_lost_webhook_is_caught_by_reconciliation(shop: Shop) -> None:
    pay_url = start_stripe(shop)
    shop.stripe.webhooks.drop_next(times=10)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, pay_url, "pay")  # and the shopper closes the tab: no return page
    assert tally(shop)["orders"] == ["pending_payment"]
    report = reconcile_payments(shop.app, grace=timedelta(0))
    assert report.changed == 1
    assert tally(shop) == PAID_ONCE
    assert reconcile_payments(shop.app, grace=timedelta(0)).checked == 0


def test_stripe_async_success_and_failure(shop: Shop) -> None:
    pay_url = start_stripe(shop)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, pay_url, "pay_later")
    assert tally(shop)["orders"] == ["pending_payment"]
    session_id = pay_url.rstrip("/").rsplit("/", 1)[-1]
    shop.stripe.settle_async(session_id, succeeded=True)
    assert tally(shop) == PAID_ONCE

    shop.client = shop.app.test_client()  # a second shopper
    pay_url = start_stripe(shop)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        press(browser, pay_url, "pay_later")
    shop.stripe.settle_async(pay_url.rstrip("/").rsplit("/", 1)[-1], succeeded=False)
    result = tally(shop)
    assert result["orders"] == ["paid", "payment_failed"]
    assert result["outbox"] == {"gelato.push": 1, "email": 2}  # confirmation + payment failed


def test_paypal_approve_then_capture(shop: Shop) -> None:
    add_to_cart(shop.client)
    resp = checkout(shop.client, provider="paypal")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    approved = press(shop.paypal_http, resp.headers["Location"], "approve")
    assert approved.status_code in (302, 303)
    back = shop.client.get(shop_path(approved.headers["Location"]))
    assert back.status_code == 303
    # The APPROVED webhook promised a capture too; the worker finds it already done.
    expected = {"orders": ["paid"], "outbox": {"gelato.push": 1, "email": 1, "paypal.capture": 1}}
    assert tally(shop) == expected
    assert capture(shop.app).checked == 1
    shop.paypal.flush_webhooks()
    shop.paypal.webhooks.deliver_pending()
    assert tally(shop) == expected
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert [e.to_status for e in order.events if e.kind == "status"] == ["paid"]


def test_forged_signature_is_a_400_and_changes_nothing(shop: Shop) -> None:
    start_stripe(shop)
    resp = shop.client.post(
        "/webhooks/stripe",
        data=b'{"id": "evt_forged"}',
        headers={"Stripe-Signature": "t=1,v1=deadbeef"},
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_signature"
    assert tally(shop)["orders"] == ["pending_payment"]
    pp = shop.client.post("/webhooks/paypal", data=b"{}", headers={"PAYPAL-TRANSMISSION-ID": "x"})
    assert pp.status_code == 400


def test_tampered_price_fields_are_ignored(shop: Shop) -> None:
    add_to_cart(shop.client, unit_amount="1", price="0.01")
    resp = checkout(shop.client, total="1", subtotal_amount="1")
    assert resp.status_code == 303
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.subtotal_amount == TEE.unit_amount


def test_empty_cart_at_checkout_is_told(shop: Shop) -> None:
    resp = shop.client.get("/checkout", follow_redirects=True)
    assert "Your cart is empty" in resp.get_data(as_text=True)


def test_bad_address_is_a_422_naming_the_fields(shop: Shop) -> None:
    add_to_cart(shop.client)
    resp = checkout(shop.client, country="Narnia", address_line1="x" * 40)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Please choose your country from the list." in body
    assert "at most 35 characters" in body
    assert tally(shop)["orders"] == []


def test_a_typed_country_name_is_read_as_its_code_and_an_unserved_one_is_told(
    shop: Shop,
) -> None:
    add_to_cart(shop.client)
    far = checkout(shop.client, country="Japan")
    assert far.status_code == 422
    assert (
        '<p class="error" id="f-country-error">We do not deliver to Japan yet. '
        "Please choose a country from the list.</p>"
    ) in far.get_data(as_text=True)
    assert tally(shop)["orders"] == []
    near = checkout(shop.client, country="Deutschland")
    assert near.status_code == 303, near.get_data(as_text=True)
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.shipping_address["country"] == "DE"
        assert order.shipping_label == "Standard (3–6 working days)"
