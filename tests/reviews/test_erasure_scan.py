"""After "delete my account", no table but the outbox holds the person's address or the name
they reviewed under: a scan of every row of every table, reviews and back-in-stock
requests included. (The outbox keeps the provider's delete job, which needs the address,
and the payloads of e-mails already sent: a known gap, reported, not this feature's.)"""

import re

from flask import Flask
from sqlalchemy import select

from storefront.catalog.offers import Offer
from storefront.container import services
from storefront.models import metadata
from storefront.restock import services as restock
from tests.reviews.support import customer, login, order

EMAIL = "erase.me@example.com"
NAME = "Zebulon Quixote"
SOLD_OUT = Offer(
    product_id="product-compost-happens",
    variant_key="black-m",
    slug="compost-happens",
    title="Compost Happens",
    size="M",
    colour="Black",
    product_uid="uid-black-m",
    unit_amount=2900,
    currency="EUR",
    available=False,
)


def scan(app: Flask) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with services(app).db.session_scope() as session:
        for table in metadata.sorted_tables:
            if table.name == "outbox":
                continue
            for row in session.execute(select(table)).all():
                text = repr(tuple(row)).lower()
                hits = [w for w in (EMAIL, NAME.lower()) if w in text]
                if hits:
                    found.setdefault(table.name, []).extend(hits)
    return found


def test_no_table_keeps_the_address_or_the_review_name(app: Flask) -> None:
    uid = customer(app, EMAIL, invites=True, verified=True)
    number = order(app, customer_id=uid, email=EMAIL, review_invites=True)
    client = login(app, uid)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/account").get_data(as_text=True)
    )
    assert token
    csrf = token.group(1)
    client.post(
        f"/orders/{number}/review/product-compost-happens",
        data={"csrf_token": csrf, "rating": "3", "display_name": NAME, "body": "Fine shirt."},
    )
    with services(app).db.session_scope(write=True) as session:  # asked as a guest
        restock.request(session, SOLD_OUT, EMAIL, customer_id=None, confirm_link=str)
    before = scan(app)
    assert {"customers", "orders", "reviews", "restock_requests"} <= set(before)
    client.post("/account/delete", data={"csrf_token": csrf, "confirm": "delete"})
    assert scan(app) == {}
