from collections.abc import Iterable
from dataclasses import replace

import pytest

from storefront.cart import services as carts
from storefront.cart.models import Cart
from storefront.catalog.offers import Offer, OfferKey
from storefront.db import Database

TEE = Offer(
    product_id="product-compost",
    variant_key="black-m",
    slug="compost-happens",
    title="Compost Happens",
    size="M",
    colour="Black",
    product_uid="uid-black-m",
    unit_amount=2900,
    currency="EUR",
    available=True,
)
LIMITED = replace(
    TEE, variant_key="black-s", size="S", product_uid="uid-black-s", limited_quantity=2
)


class Catalog:
    def __init__(self, *offers: Offer) -> None:
        self.items = {o.key: o for o in offers}

    def offers(self, keys: Iterable[OfferKey]) -> dict[OfferKey, Offer]:
        return {k: self.items[k] for k in keys if k in self.items}


def price(cart: Cart, catalog: Catalog) -> carts.PricedCart:
    return carts.price_cart(cart, catalog.offers(carts.cart_keys(cart)))


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database(db_url)
    yield database
    database.dispose()


def test_add_merges_lines_and_prices_from_the_catalog(db: Database) -> None:
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        carts.add_item(session, cart, TEE, 1)
        carts.add_item(session, cart, TEE, 2)
        priced = price(cart, Catalog(TEE))
    assert priced.count == 3
    assert priced.subtotal == 8700
    assert len(priced.lines) == 1
    assert priced.can_check_out


def test_sold_out_variant_cannot_be_added(db: Database) -> None:
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        with pytest.raises(carts.CartError, match="sold out"):
            carts.add_item(session, cart, replace(TEE, available=False))
        assert cart.items == []


def test_limits(db: Database) -> None:
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        with pytest.raises(carts.CartError, match="at most 10"):
            carts.add_item(session, cart, TEE, 11)
        with pytest.raises(carts.CartError, match="Only 2"):
            carts.add_item(session, cart, LIMITED, 3)
        with pytest.raises(carts.CartError, match="at least 1"):
            carts.add_item(session, cart, TEE, 0)
        for n in range(3):
            carts.add_item(session, cart, replace(TEE, variant_key=f"v{n}"), 10)
        with pytest.raises(carts.CartError, match="at most 30"):
            carts.add_item(session, cart, replace(TEE, variant_key="v9"), 1)


def test_price_change_is_flagged_once_and_never_charged_old(db: Database) -> None:
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        carts.add_item(session, cart, TEE, 2)
        token = cart.token
    dearer = Catalog(replace(TEE, unit_amount=3200))
    with db.session_scope() as session:
        cart = carts.load_cart(session, token)
        assert cart is not None
        at_checkout = price(cart, dearer)
        assert at_checkout.notices == [
            "The price of Compost Happens — Black, M changed from €29.00 to €32.00."
        ]
        assert at_checkout.subtotal == 6400
    # Checkout only reads: the notice stays until the shopper has seen the cart page.
    assert carts.priced(db, token, dearer, acknowledge=False).notices  # type: ignore[union-attr]
    viewed = carts.priced(db, token, dearer)
    assert viewed is not None and viewed.notices
    again = carts.priced(db, token, dearer)
    assert again is not None and again.notices == []
    assert again.subtotal == 6400


def test_unavailable_line_is_flagged_not_dropped(db: Database) -> None:
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        carts.add_item(session, cart, TEE, 1)
        priced = price(cart, Catalog(replace(TEE, available=False)))
        assert len(priced.lines) == 1
        assert "sold out" in priced.lines[0].notices[0]
        assert not priced.can_check_out
        assert priced.subtotal == 0
        gone = price(cart, Catalog())
        assert "no longer sold" in gone.lines[0].notices[0]


def test_change_quantity_and_remove(db: Database) -> None:
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        item = carts.add_item(session, cart, TEE, 1)
        carts.set_quantity(session, cart, item.id, 4)
        assert price(cart, Catalog(TEE)).count == 4
        with pytest.raises(carts.CartError):
            carts.set_quantity(session, cart, item.id, 11)
        carts.remove_item(session, cart, item.id)
        assert price(cart, Catalog(TEE)).is_empty
        with pytest.raises(carts.CartError, match="no longer in your cart"):
            carts.set_quantity(session, cart, 999999, 1)


def test_merge_guest_cart_into_customer_cart(db: Database) -> None:
    from storefront.accounts.models import Customer

    with db.session_scope() as session:
        customer = Customer(email="c@example.com")
        session.add(customer)
        session.flush()
        mine = carts.create_cart(session, "EUR", customer_id=customer.id)
        carts.add_item(session, mine, TEE, 9)
        guest = carts.create_cart(session, "EUR")
        carts.add_item(session, guest, TEE, 3)
        carts.add_item(session, guest, LIMITED, 1)
        carts.merge_carts(session, guest, mine)
        session.flush()
        priced = price(mine, Catalog(TEE, LIMITED))
        assert {(ln.variant_key, ln.quantity) for ln in priced.lines} == {
            ("black-m", 10),
            ("black-s", 1),
        }
        assert guest.status == "merged"
