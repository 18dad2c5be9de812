"""An order keeps the VAT of its destination: EU rates through OSS, UK VAT up to £135 of
goods (none above), none on exports, shipping taxed like the goods; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest

from storefront.cart import services as carts
from storefront.catalog.offers import Offer
from storefront.checkout import services as checkout
from storefront.checkout.shipping import table_options
from storefront.db import Database
from storefront.orders.models import Order
from storefront.vat import Scheme, SellerVat
from tests.checkout.fakes import TEE, Catalog, details

UK_TEE = replace(TEE, unit_amount=2500, currency="GBP")
US_TEE = replace(TEE, unit_amount=3200, currency="USD")
SELLER = SellerVat("DE", "DE123456789", uses_oss=True)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def order_for(db: Database, offer: Offer, quantity: int, **form: str) -> Order:
    """Place an order for ``quantity`` of ``offer``; the order, detached, events loaded."""
    with db.session_scope() as session:
        cart = carts.create_cart(session, offer.currency)
        carts.add_item(session, cart, offer, quantity)
        token = cart.token
    country = form.get("country", "DE")
    placed = checkout.place_order(
        db,
        cart_token=token,
        details=details(**form),
        offers=Catalog(offer),
        shipping_options=table_options(country, offer.currency),
        seller=SELLER,
    )
    with db.session_scope() as session:
        order = session.get_one(Order, placed.order_id)
        assert [e.kind for e in order.events] == ["created"]
        session.expunge(order)
        return order


def test_an_eu_order_carries_the_destination_rate_on_goods_and_shipping(db: Database) -> None:
    order = order_for(db, TEE, 2, country="FR", city="Paris", post_code="75001")
    vat = order.vat
    assert vat is not None and vat.scheme == Scheme.OSS
    (line,) = vat.lines
    # 2 x 29.00 + 4.95 = 62.95 gross at 20%: VAT 10.49, net 52.46
    assert (line.rate, line.vat.amount, line.net.amount) == (Decimal("20"), 1049, 5246)
    assert order.vat_amount == 1049 and order.total_amount == 6295


def test_a_uk_order_up_to_135_pounds_pays_uk_vat_in_pounds(db: Database) -> None:
    order = order_for(db, UK_TEE, 2, country="GB", city="London", post_code="N1 9GU")
    assert order.currency == "GBP"
    vat = order.vat
    assert vat is not None and vat.scheme == Scheme.UK
    # 2 x 25.00 + 5.95 = 55.95 at 20%: VAT 9.33
    assert vat.total_vat.amount == 933 and vat.total_vat.currency == "GBP"


def test_a_uk_order_over_135_pounds_carries_no_vat_at_checkout(db: Database) -> None:
    order = order_for(db, UK_TEE, 7, country="GB", city="London", post_code="N1 9GU")
    # 7 x 25.00 = 175.00 gross, 145.83 without VAT: over the limit
    vat = order.vat
    assert vat is not None and vat.scheme == Scheme.UK_IMPORT and vat.lines == ()
    assert order.vat_amount == 0


def test_an_export_carries_no_vat(db: Database) -> None:
    order = order_for(db, US_TEE, 1, country="US", city="New York", post_code="10001", state="NY")
    vat = order.vat
    assert vat is not None and vat.scheme == Scheme.EXPORT and order.vat_amount == 0


def test_the_uk_sold_in_euros_is_refused_before_anything_is_charged(db: Database) -> None:
    with pytest.raises(checkout.CheckoutError, match="GBP"):
        order_for(db, TEE, 1, country="GB", city="London", post_code="N1 9GU")
