"""Loading orders, with the row lock every state change takes first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.orders.models import Order


def lock_order(
    session: Session, *, order_id: int | None = None, number: str | None = None
) -> Order | None:
    """The order, locked for this transaction (``FOR UPDATE`` on PostgreSQL).

    On SQLite the writer lock taken by ``session_scope(write=True)`` serialises instead.
    """
    stmt = select(Order)
    if order_id is not None:
        stmt = stmt.where(Order.id == order_id)
    elif number is not None:
        stmt = stmt.where(Order.number == number)
    else:
        raise ValueError("give order_id or number")
    return session.execute(stmt.with_for_update()).scalar_one_or_none()
