"""A new order written with plain INSERTs, for the checkout's one write transaction.

The ORM's unit of work costs more than the three statements it sends (about 3 ms of a
checkout's 20 ms of CPU, measured with ``bench/checkout.py``), so the order, its lines and
its "created" event are inserted directly, and the caller gets a detached snapshot to read.
Everything that changes an order later goes through the ORM (:mod:`storefront.orders.states`).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.fieldcrypt import session_cipher
from storefront.orders.models import Order, OrderEvent, OrderItem

_ORDERS = cast(Table, Order.__table__)
_ITEMS = cast(Table, OrderItem.__table__)
_EVENTS = cast(Table, OrderEvent.__table__)
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_ITEMS = insert(_ITEMS)
_INSERT_EVENT = insert(_EVENTS)


def insert_order(session: Session, values: dict[str, Any]) -> int:
    """Insert the order's row and return its id (``IntegrityError`` on a duplicate number or
    checkout key). The e-mail's blind index is filled here, as the ORM's hook would."""
    index = session_cipher(session).blind_index(values["email"])
    row = session.connection().execute(_INSERT_ORDER, {**values, "email_index": index}).one()
    return int(row[0])


def update_order(session: Session, order_id: int, values: dict[str, Any]) -> None:
    """Change columns of the order just inserted, ``updated_at`` included (not the e-mail:
    its blind index would not follow)."""
    if "email" in values:
        raise ValueError("update_order does not keep the e-mail's blind index")
    session.connection().execute(update(_ORDERS).where(_ORDERS.c.id == order_id).values(values))


def insert_items(session: Session, order_id: int, items: list[dict[str, Any]]) -> None:
    """The order's lines, in one statement."""
    if items:
        session.connection().execute(_INSERT_ITEMS, [{**i, "order_id": order_id} for i in items])


def insert_event(
    session: Session, order_id: int, kind: str, *, actor: str, data: dict[str, Any]
) -> None:
    """The same fact :func:`storefront.orders.states.record_event` records, for an order that
    is not loaded in the session."""
    session.connection().execute(
        _INSERT_EVENT,
        {
            "order_id": order_id,
            "kind": kind,
            "from_status": None,
            "to_status": None,
            "actor": actor,
            "reason": None,
            "data": data,
            "created_at": utcnow(),
        },
    )


def snapshot(order_id: int, values: dict[str, Any], items: list[dict[str, Any]]) -> Order:
    """The order as written, detached (never added to a session): read it, don't change it."""
    return Order(
        id=order_id,
        **values,
        items=[OrderItem(order_id=order_id, **i) for i in items],
    )
