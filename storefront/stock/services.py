"""Limited editions: reserve atomically at order creation, release or consume later.

The counter row is changed with one conditional UPDATE (``reserved + n <= limit``), which
is atomic on SQLite (writer lock) and on PostgreSQL (row lock), so concurrent checkouts can
never oversell.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.db import insert_or_ignore, rows_matched, utcnow
from storefront.stock.models import Reservation, StockCounter


class OutOfStock(Exception):
    def __init__(self, label: str, left: int) -> None:
        super().__init__(f"{label}: only {left} left")
        self.label, self.left = label, left


def _counter(session: Session, product_id: str, variant_key: str, limit: int) -> StockCounter:
    now = utcnow()
    insert_or_ignore(
        session,
        StockCounter,
        {
            "product_id": product_id,
            "variant_key": variant_key,
            "limit": limit,
            "reserved": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    counter = session.execute(
        select(StockCounter).where(
            StockCounter.product_id == product_id, StockCounter.variant_key == variant_key
        )
    ).scalar_one()
    if counter.limit != limit:  # the edition size was edited in the CMS
        counter.limit = limit
    return counter


def reserve(
    session: Session,
    order_id: int,
    product_id: str,
    variant_key: str,
    limit: int,
    quantity: int,
    label: str,
    expires_at: datetime,
) -> Reservation:
    counter = _counter(session, product_id, variant_key, limit)
    matched = rows_matched(
        session,
        update(StockCounter)
        .where(
            StockCounter.id == counter.id, StockCounter.reserved + quantity <= StockCounter.limit
        )
        .values(reserved=StockCounter.reserved + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    if matched != 1:
        session.refresh(counter)
        raise OutOfStock(label, max(counter.limit - counter.reserved, 0))
    reservation = Reservation(
        order_id=order_id,
        counter_id=counter.id,
        quantity=quantity,
        status="held",
        expires_at=expires_at,
    )
    session.add(reservation)
    return reservation


def release(session: Session, order_id: int) -> int:
    """Give held units back (payment failed, session expired, order cancelled)."""
    held = (
        session.execute(
            select(Reservation).where(
                Reservation.order_id == order_id, Reservation.status == "held"
            )
        )
        .scalars()
        .all()
    )
    for reservation in held:
        session.execute(
            update(StockCounter)
            .where(StockCounter.id == reservation.counter_id)
            .values(reserved=StockCounter.reserved - reservation.quantity, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        reservation.status = "released"
    return len(held)


def consume(session: Session, order_id: int) -> None:
    """The order is paid: its units are sold for good."""
    for reservation in session.execute(
        select(Reservation).where(Reservation.order_id == order_id, Reservation.status == "held")
    ).scalars():
        reservation.status = "consumed"


def left(session: Session, product_id: str, variant_key: str) -> int | None:
    counter = session.execute(
        select(StockCounter).where(
            StockCounter.product_id == product_id, StockCounter.variant_key == variant_key
        )
    ).scalar_one_or_none()
    return None if counter is None else max(counter.limit - counter.reserved, 0)
