"""What operators do to an order, from the dashboard or the API: refund, cancel, retry.

Each composes the packages that own the parts — the provider refund
(:mod:`storefront.payments.refunds`), stopping the printer
(:mod:`storefront.fulfillment.cancel`), the order's own workflow
(:mod:`storefront.orders.workflows`) — and turns their refusals into one
:class:`OperationError` whose message is for the operator.
"""

from __future__ import annotations

from collections.abc import Callable

from storefront.db import Database
from storefront.fulfillment.cancel import CannotStop, stop_printing
from storefront.fulfillment.push import retry_parked
from storefront.gateways.registry import Gateways
from storefront.gelato.client import GelatoClient
from storefront.orders import workflows
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import ALLOWED, OrderStatus
from storefront.payments import refunds
from storefront.payments.refunds import RefundError, RefundOutcome, refundable

__all__ = ["OperationError", "RefundOutcome", "cancel", "refund", "refundable", "retry_fulfillment"]

S = OrderStatus


class OperationError(Exception):
    """The action cannot be done; the message says why, for the operator."""


def refund(
    db: Database,
    gateways: Gateways,
    order_id: int,
    amount: int | None,
    *,
    actor: str,
    key: str,
    order_link: Callable[[str], str],
    reason: str | None = None,
) -> RefundOutcome:
    try:
        return refunds.refund(
            db,
            gateways,
            order_id,
            amount,
            actor=actor,
            key=key,
            order_link=order_link,
            reason=reason,
        )
    except RefundError as exc:
        raise OperationError(str(exc)) from exc


def cancel(
    db: Database,
    gelato: GelatoClient,
    gateways: Gateways,
    order_id: int,
    *,
    actor: str,
    key: str,
    reason: str,
    order_link: Callable[[str], str],
) -> list[str]:
    """Stop printing (while Gelato still can), cancel, and refund what was paid."""
    with db.session_scope() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise OperationError("No such order.")
        if S.CANCELLED not in ALLOWED[S(order.status)]:
            raise OperationError(
                f"An order that is {order.status.replace('_', ' ')} cannot be cancelled any more."
            )
        was_paid = order.paid_at is not None
    try:
        notes = stop_printing(db, gelato, order_id, actor=actor)
    except CannotStop as exc:
        raise OperationError(str(exc)) from exc
    with db.session_scope(write=True) as session:
        locked = lock_order(session, order_id=order_id)
        assert locked is not None
        workflows.order_cancelled(
            session, locked, actor=actor, reason=reason, order_link=order_link(locked.number)
        )
    if was_paid:
        try:
            outcome = refund(
                db,
                gateways,
                order_id,
                None,
                actor=actor,
                key=f"{key}-cancel",
                reason=reason,
                order_link=order_link,
            )
            notes.append(f"refund {outcome.status}")
        except OperationError as exc:
            notes.append(f"refund not made: {exc}")
    return notes


def retry_fulfillment(db: Database, order_id: int, *, actor: str) -> bool:
    return retry_parked(db, order_id, actor=actor)
