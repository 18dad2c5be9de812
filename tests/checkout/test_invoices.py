"""A paid order's invoice and a refund's credit note, read back from the PDF a shopper
downloads: every figure, the seller and the buyer; the same bytes on every download."""

from __future__ import annotations

import io
import re

import httpx
from pypdf import PdfReader
from sqlalchemy import select

from storefront.container import services
from storefront.discounts import services as discounts
from storefront.discounts.schemas import DiscountIn
from storefront.orders.links import order_token
from storefront.orders.models import Order
from tests.checkout.conftest import Shop, add_to_cart, checkout, press, shop_path
from tests.checkout.test_admin_actions import form_fields, login_as
from tests.support.timing import ANSWERED_TIMEOUT


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_invoice_and_credit_note_carry_every_figure(shop: Shop) -> None:
    with services(shop.app).db.session_scope(write=True) as session:
        discounts.create(
            session, DiscountIn(code="DARK-HUMOUR", kind="percent", percent=15), actor="t"
        )
    add_to_cart(shop.client, quantity=3)  # 3 × 29.00 = 87.00, 15 % = 13.05
    pay_url = checkout(shop.client, discount_code="dark-humour").headers["Location"]
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        done = press(browser, pay_url, "pay")
    shop.client.get(shop_path(done.headers["Location"]))
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        number, year = order.number, order.paid_at.year if order.paid_at else 0
    assert order.status == "paid" and order.total_amount == 8700 + 495 - 1305
    with shop.app.app_context():
        token = order_token(number)

    anonymous = shop.app.test_client()
    assert anonymous.get(f"/orders/{number}/invoice.pdf").status_code == 404
    link = f"/orders/{number}/invoice.pdf?t={token}"
    first = anonymous.get(link)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = text_of(first.data)
    invoice_number = f"INV-{year}-000001"
    for expected in (
        f"Invoice {invoice_number}",
        f"Order: {number}",
        "Grim Cotton",  # the seller, from the settings
        "Kastanienallee 1",
        "Ada Lovelace",  # the buyer
        "ada@example.com",
        "Compost Happens (Black, M)",
        "EUR 29.00",  # unit price
        "EUR -13.05",  # the line's discount
        "EUR 73.95",  # the line after it
        "Goods EUR 87.00",
        "Discount (DARK-HUMOUR) EUR -13.05",
        "Shipping EUR 4.95",
        "VAT 19% on EUR 66.30 EUR 12.60",  # Germany: 19% inside what was paid (78.90)
        "Total EUR 78.90",
    ):
        assert expected in text, (expected, text)
    assert anonymous.get(link).data == first.data  # stored once, the same bytes

    page = shop.client.get(f"/orders/{number}?t={token}").get_data(as_text=True)
    assert invoice_number in page and f"/orders/{number}/invoice.pdf" in page

    operator = login_as(shop, "olive@example.com", "operator")
    fields = form_fields(operator.get(f"/admin/orders/{number}/refund").get_data(as_text=True))
    refunded = operator.post(
        f"/admin/orders/{number}/refund", data={**fields, "amount": "17.33", "reason": "late"}
    )
    assert refunded.status_code in (302, 303)
    admin_page = operator.get(f"/admin/orders/{number}").get_data(as_text=True)
    assert invoice_number in admin_page
    page = shop.client.get(f"/orders/{number}?t={token}").get_data(as_text=True)
    note = re.search(r"/credit-notes/(CN-\d{4}-\d{6})\.pdf", page)
    assert note, page
    note_pdf = anonymous.get(f"/orders/{number}/credit-notes/{note.group(1)}.pdf?t={token}")
    assert note_pdf.status_code == 200
    note_text = text_of(note_pdf.data)
    # 17.33 back of 78.90 paid: 13.05 × 17.33 / 78.90 = 2.866… → 2.87 of the discount
    # goes back with it; the money is split over the shirts (73.95) and shipping (4.95).
    for expected in (
        f"Credit note {note.group(1)}",
        f"Refers to invoice: {invoice_number}",
        "EUR -2.87",
        "Total refunded EUR 17.33",
        "VAT 19% on EUR 14.56 EUR 2.77",  # the VAT inside the refund goes back with it
    ):
        assert expected in note_text, (expected, note_text)
