import secrets
import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from storefront.cart import services as carts
from storefront.checkout import services as checkout
from storefront.checkout.shipping import table_options
from storefront.db import Database
from storefront.discounts import services as discounts
from storefront.discounts.schemas import DiscountIn
from storefront.fieldcrypt import email_matches
from storefront.orders.models import Order
from storefront.stock import services as stock
from tests.checkout.fakes import LIMITED, TEE, Catalog, details


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database(db_url)
    yield database
    database.dispose()


def cart_with(db: Database, offer, quantity: int = 1) -> str:  # type: ignore[no-untyped-def]
    with db.session_scope() as session:
        cart = carts.create_cart(session, "EUR")
        carts.add_item(session, cart, offer, quantity)
        return cart.token


def place(db: Database, token: str | None, catalog: Catalog, **form: str) -> checkout.Placed:
    return checkout.place_order(
        db,
        cart_token=token,
        details=details(**form),
        offers=catalog,
        shipping_options=table_options("DE", "EUR"),
    )


def test_order_snapshots_server_prices(db: Database) -> None:
    token = cart_with(db, TEE, 2)
    placed = place(db, token, Catalog(TEE))
    with db.session_scope() as session:
        order = session.get_one(Order, placed.order_id)
        assert order.status == "pending_payment"
        assert (order.subtotal_amount, order.shipping_amount, order.total_amount) == (
            5800,
            495,
            6295,
        )
        (item,) = order.items
        assert (item.unit_amount, item.quantity, item.line_amount) == (2900, 2, 5800)
        assert item.product_uid == "uid-black-m"
        assert order.shipping_address["country"] == "DE"
        assert [e.kind for e in order.events] == ["created"]


def _columns(row: object, skip: tuple[str, ...]) -> dict[str, object]:
    table = type(row).__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns if c.key not in skip}


@pytest.mark.parametrize("code", ["", "TEN-OFF"])
def test_the_order_handed_back_is_the_order_stored(db: Database, code: str) -> None:
    """The checkout writes the order with plain INSERTs and hands the payment step a copy:
    the copy must be the row, the e-mail findable by its blind index, the event complete."""
    with db.session_scope(write=True) as session:
        discounts.create(
            session, DiscountIn(code="TEN-OFF", kind="percent", percent=10), actor="test"
        )
    token = cart_with(db, TEE, 2)
    placed = place(db, token, Catalog(TEE), email="Ada@Example.COM", discount_code=code)
    copy = placed.order
    assert copy is not None
    with db.session_scope() as session:
        stored = session.get_one(Order, placed.order_id)
        found = session.scalars(
            select(Order.id).where(email_matches(session, Order.email_index, "ada@example.com"))
        ).all()
        assert _columns(copy, ("email_index",)) == _columns(stored, ("email_index",))
        assert [_columns(i, ("id",)) for i in copy.items] == [
            _columns(i, ("id",)) for i in stored.items
        ]
        (event,) = stored.events
        assert (event.kind, event.actor) == ("created", "customer:guest")
        assert event.data["total"] == stored.total_amount
        assert event.data["vat"] == stored.vat_amount
    assert found == [placed.order_id]
    assert copy.email == "ada@example.com"
    if code:
        assert (copy.discount_code, copy.discount_amount) == ("TEN-OFF", 580)
        assert [i.discount_amount for i in copy.items] == [580]
        assert copy.total_amount == 5800 + 495 - 580
        assert event.data["discount"] == 580
    else:
        assert (copy.discount_code, copy.discount_amount, copy.total_amount) == (None, 0, 6295)


def test_same_form_submitted_twice_makes_one_order(db: Database) -> None:
    token = cart_with(db, TEE)
    first = place(db, token, Catalog(TEE))
    second = place(db, token, Catalog(TEE))
    assert first.order_id == second.order_id
    assert (first.created, second.created) == (True, False)


def test_empty_cart_is_refused_clearly(db: Database) -> None:
    with pytest.raises(checkout.CheckoutError, match="cart is empty"):
        place(db, None, Catalog(TEE))


def test_price_changed_since_cart_view_blocks_checkout_once(db: Database) -> None:
    token = cart_with(db, TEE)
    dearer = Catalog(replace(TEE, unit_amount=3100))
    with pytest.raises(checkout.CheckoutError, match=r"changed from €29.00 to €31.00"):
        place(db, token, dearer)
    placed = place(db, token, dearer, checkout_key="second-attempt-123")
    with db.session_scope() as session:
        assert session.get_one(Order, placed.order_id).subtotal_amount == 3100


def test_sold_out_since_adding_is_refused(db: Database) -> None:
    token = cart_with(db, TEE)
    with pytest.raises(checkout.CheckoutError, match="sold out"):
        place(db, token, Catalog(replace(TEE, available=False)))


def test_unknown_shipping_method_is_refused(db: Database) -> None:
    token = cart_with(db, TEE)
    with pytest.raises(checkout.CheckoutError, match="shipping methods"):
        place(db, token, Catalog(TEE), shipping_method="teleport")


def test_limited_stock_is_reserved(db: Database) -> None:
    token = cart_with(db, LIMITED, 2)
    placed = place(db, token, Catalog(LIMITED))
    with db.session_scope() as session:
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 3
        assert stock.release(session, placed.order_id) == 1
    with db.session_scope() as session:
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 5


def test_twenty_concurrent_checkouts_for_five_units(db: Database) -> None:
    tokens = [cart_with(db, LIMITED, 1) for _ in range(20)]
    catalog = Catalog(LIMITED)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def buy(token: str) -> None:
        start.wait()
        try:
            place(db, token, catalog, checkout_key=secrets.token_hex(12))
            result = "ok"
        except checkout.CheckoutError as exc:
            result = str(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 5, outcomes
    assert all("sold out" in o for o in outcomes if o != "ok")
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 5
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 0
