"""The e-mails a shopper gets, read rather than counted: who gets them, the order number,
the amounts, and links that open the right page for someone who is not logged in."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from storefront.container import services
from storefront.mail.messages import TOPIC
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from tests.checkout.conftest import ADDRESS, Shop, add_to_cart, checkout, press, shop_path
from tests.checkout.test_admin_actions import form_fields, login_as, paid_stripe_order
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
    [invoice] = [u for u in mail.links if "/invoice.pdf" in u]
    [link] = [u for u in mail.links if u != invoice]
    stranger = shop.app.test_client()  # the shopper's phone: no session, no cookie
    page = stranger.get(shop_path(link))
    assert page.status_code == 200
    assert order.number in page.get_data(as_text=True)
    assert "/invoice.pdf?t=" in invoice and "Invoice INV-" in mail.text
    pdf = stranger.get(shop_path(invoice))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
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


def _html_links(html: str) -> list[str]:
    return re.findall(r'href="(https?://[^"]+)"', html)


def test_every_mail_is_text_and_html_and_the_confirmation_reads_the_same_in_both(
    shop: Shop,
) -> None:
    pay(shop)
    [entry] = [p for p in _payloads(shop) if p["template"] == "order_confirmation"]
    message = services(shop.app).composer.compose(entry["template"], entry["to"], entry["context"])
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    [mail] = mails(shop.app, "order_confirmation")
    # The shipping line checkout showed, and the address with the country's name.
    assert "- Shipping: Standard (3–6 working days) — €4.95\nTotal: €62.95\n" in mail.text
    assert "Shipping: Standard (3–6 working days)" in mail.html
    assert "It goes to:\nAda Lovelace\nKastanienallee 1\n10435 Berlin\nGermany\n" in mail.text
    assert "10435 Berlin<br>Germany</p>" in mail.html
    assert "\nDE\n" not in mail.text
    assert "2 × Compost Happens (Black, M)" in mail.html and "€58.00" in mail.html
    links = mail.links  # the order page and the invoice (#16)
    assert len(links) == 2 and sum("/invoice.pdf" in link for link in links) == 1
    assert sorted(_html_links(mail.html)) == sorted(links)
    for link in links:
        assert shop.app.test_client().get(shop_path(link)).status_code == 200
    assert "Total: €62.95\nIncludes VAT 19%: €10.05 (net €52.90)\n\nIt goes to:" in mail.text
    assert "\n\n\n" not in mail.text  # paragraphs, not holes


def test_a_cancelled_paid_order_gets_a_cancellation_mail_and_then_the_refund_mail(
    shop: Shop,
) -> None:
    number = paid_stripe_order(shop)
    operator = login_as(shop, "op@example.com", "operator")
    fields = form_fields(operator.get(f"/admin/orders/{number}/cancel").get_data(as_text=True))
    operator.post(f"/admin/orders/{number}/cancel", data={**fields, "reason": "out of thread"})
    [cancelled] = mails(shop.app, "order_cancelled")
    assert cancelled.to == ADDRESS["email"]
    assert cancelled.subject == f"Your order {number} is cancelled"
    assert cancelled.text.startswith(f"Order {number} is cancelled.\n\n")
    assert "We are refunding what you paid (€33.95)." in cancelled.text
    assert "We are refunding what you paid (€33.95)." in cancelled.html
    assert "out of thread" not in cancelled.text  # the operator's note stays inside
    [link] = cancelled.links
    assert _html_links(cancelled.html) == [link]
    page = shop.app.test_client().get(shop_path(link))
    assert page.status_code == 200
    assert '<span class="order-status">Refunded</span>' in page.get_data(as_text=True)
    [refunded] = mails(shop.app, "order_refunded")
    assert refunded.subject == f"We refunded €33.95 for order {number}"
    assert f"We refunded €33.95 for order {number}." in refunded.html


def test_backing_out_at_the_provider_sends_no_cancellation_mail(shop: Shop) -> None:
    assert add_to_cart(shop.client).status_code == 303
    started = checkout(shop.client)
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        pay_page = browser.get(started.headers["Location"]).text
    back = re.search(r'<a href="([^"]+)">← Back to the shop</a>', pay_page)
    assert back, pay_page
    assert shop.client.get(shop_path(back.group(1).replace("&amp;", "&"))).status_code == 303
    with services(shop.app).db.session_scope() as session:
        assert session.execute(select(Order.status)).scalar_one() == "cancelled"
    assert mails(shop.app, "order_cancelled") == []  # they know: they pressed the button


def _payloads(shop: Shop) -> list[dict]:  # type: ignore[type-arg]
    with services(shop.app).db.session_scope() as session:
        return [
            e.payload
            for e in session.execute(
                select(OutboxEntry).where(OutboxEntry.topic == TOPIC).order_by(OutboxEntry.id)
            ).scalars()
        ]
