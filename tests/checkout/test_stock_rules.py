"""Limited-edition stock rule by rule: a reservation takes exactly what is left and not one
more, the edition size follows the CMS, and release and consume touch only the given
order's held units."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storefront.db import Database
from storefront.orders.models import Order
from storefront.stock import services as stock
from storefront.stock.models import Reservation, StockCounter

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
TEE = ("product-last", "bone-l")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def new_order(db: Database, number: str) -> int:
    with db.session_scope() as session:
        order = Order(
            number=number,
            email="a@example.com",
            status="pending_payment",
            currency="EUR",
            subtotal_amount=100,
            shipping_amount=0,
            total_amount=100,
            shipping_address={"country": "DE"},
        )
        session.add(order)
        session.flush()
        return order.id


def reserve(db: Database, order_id: int, quantity: int, limit: int = 5) -> Reservation:
    with db.session_scope(write=True) as session:
        reservation = stock.reserve(
            session, order_id, *TEE, limit, quantity, "Last Of Its Kind (L)", EXPIRES
        )
        session.flush()
        session.expunge(reservation)
        return reservation


def counter(db: Database) -> tuple[int, int]:
    with db.session_scope() as session:
        row = session.execute(select(StockCounter)).scalar_one()
        return row.limit, row.reserved


def statuses(db: Database, order_id: int) -> list[str]:
    with db.session_scope() as session:
        return list(
            session.execute(
                select(Reservation.status)
                .where(Reservation.order_id == order_id)
                .order_by(Reservation.id)
            ).scalars()
        )


def left(db: Database) -> int | None:
    with db.session_scope() as session:
        return stock.left(session, *TEE)


def test_a_reservation_takes_up_to_the_last_unit_and_not_one_more(db: Database) -> None:
    first, second, third = (new_order(db, f"SF-STOCK{i}") for i in range(3))
    assert left(db) is None  # no edition counted yet
    held = reserve(db, first, 3)
    assert (held.order_id, held.quantity, held.status) == (first, 3, "held")
    assert held.expires_at.replace(tzinfo=UTC) == EXPIRES
    assert counter(db) == (5, 3) and left(db) == 2
    with pytest.raises(stock.OutOfStock) as caught:
        reserve(db, second, 3)
    assert (caught.value.label, caught.value.left) == ("Last Of Its Kind (L)", 2)
    assert str(caught.value) == "Last Of Its Kind (L): only 2 left"
    assert counter(db) == (5, 3)
    reserve(db, second, 2)  # exactly what is left
    assert left(db) == 0
    with pytest.raises(stock.OutOfStock) as caught:
        reserve(db, third, 1)
    assert caught.value.left == 0
    assert statuses(db, third) == []


def test_the_edition_size_follows_the_cms(db: Database) -> None:
    order_id = new_order(db, "SF-STOCKCMS")
    reserve(db, order_id, 2, limit=5)
    reserve(db, order_id, 1, limit=8)  # the editor made the edition bigger
    assert counter(db) == (8, 3)
    with db.session_scope(write=True) as session:
        session.execute(select(StockCounter)).scalar_one().limit = 2  # ... then smaller
    assert left(db) == 0  # never negative


def test_release_gives_back_only_this_orders_held_units(db: Database) -> None:
    mine, other = new_order(db, "SF-STOCKA"), new_order(db, "SF-STOCKB")
    reserve(db, mine, 2)
    reserve(db, mine, 1)
    reserve(db, other, 1)
    with db.session_scope(write=True) as session:
        assert stock.release(session, mine) == 2
    assert statuses(db, mine) == ["released", "released"]
    assert statuses(db, other) == ["held"]
    assert counter(db) == (5, 1)
    with db.session_scope(write=True) as session:
        assert stock.release(session, mine) == 0  # twice is once
    assert counter(db) == (5, 1)


def test_consume_sells_only_this_orders_held_units(db: Database) -> None:
    mine, other = new_order(db, "SF-STOCKC"), new_order(db, "SF-STOCKD")
    reserve(db, mine, 2)
    reserve(db, other, 1)
    with db.session_scope(write=True) as session:
        stock.release(session, other)
        stock.consume(session, mine)
        stock.consume(session, other)  # released units are not sold after all
    assert statuses(db, mine) == ["consumed"]
    assert statuses(db, other) == ["released"]
    assert counter(db) == (5, 2)
    with db.session_scope(write=True) as session:
        assert stock.release(session, mine) == 0  # sold units never come back


def test_an_expired_date_does_not_matter_to_the_counter(db: Database) -> None:
    order_id = new_order(db, "SF-STOCKE")
    with db.session_scope(write=True) as session:
        stock.reserve(session, order_id, *TEE, 5, 1, "x", datetime.now(UTC) - timedelta(days=1))
    assert left(db) == 4
