"""The dashboard totals each currency on its own, with the VAT charged; nothing is added
across currencies."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.orders.models import Order


def paid(number: str, currency: str, total: int, vat: int) -> Order:
    return Order(
        number=number,
        email="a@example.com",
        status="paid",
        currency=currency,
        subtotal_amount=total,
        shipping_amount=0,
        total_amount=total,
        vat_amount=vat,
        shipping_address={"country": "DE"},
        paid_at=datetime.now(UTC),
    )


def test_totals_per_currency_with_vat(app: Flask) -> None:
    with services(app).db.session_scope(write=True) as session:
        session.add_all(
            [
                paid("SF-E1", "EUR", 6295, 1005),
                paid("SF-E2", "EUR", 2900, 463),
                paid("SF-G1", "GBP", 3095, 516),
                paid("SF-U1", "USD", 3895, 0),
            ]
        )
        user = accounts.register(
            session, "op@example.com", "correct horse battery", role="operator"
        )
        uid, version = user.id, accounts.session_version(user)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["av"] = uid, version
    page = client.get("/admin").get_data(as_text=True)
    rows = dict(re.findall(r"<tr><td>(EUR|GBP|USD)</td>(.*?)</tr>", page))
    assert rows["EUR"] == "<td>2</td><td>€91.95</td><td>€14.68</td>"
    assert rows["GBP"] == "<td>1</td><td>£30.95</td><td>£5.16</td>"
    assert rows["USD"] == "<td>1</td><td>$38.95</td><td>$0.00</td>"
    assert "€91.95 revenue" in page and "£30.95 revenue" in page and "$38.95 revenue" in page
