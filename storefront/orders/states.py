"""The order lifecycle: the one place where transitions are allowed, each one audited.

``pending_payment → paid → submitted → in_production → shipped → delivered``, with the
branches ``payment_failed``, ``cancelled``, ``refunded``, ``returned`` and the operator state
``needs_attention``. Fulfillment statuses only move forward (a late ``printed`` never
overwrites ``shipped``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.orders.models import Order, OrderEvent


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    SUBMITTED = "submitted"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    RETURNED = "returned"


S = OrderStatus

ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.PAYMENT_FAILED, S.CANCELLED}),
    S.PAYMENT_FAILED: frozenset({S.CANCELLED}),
    S.PAID: frozenset({S.SUBMITTED, S.NEEDS_ATTENTION, S.CANCELLED, S.REFUNDED}),
    S.SUBMITTED: frozenset(
        {S.IN_PRODUCTION, S.SHIPPED, S.DELIVERED, S.NEEDS_ATTENTION, S.CANCELLED}
    ),
    S.IN_PRODUCTION: frozenset({S.SHIPPED, S.DELIVERED, S.NEEDS_ATTENTION}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED, S.NEEDS_ATTENTION}),
    S.DELIVERED: frozenset({S.RETURNED, S.REFUNDED}),
    S.NEEDS_ATTENTION: frozenset(
        {S.PAID, S.SUBMITTED, S.IN_PRODUCTION, S.SHIPPED, S.DELIVERED, S.CANCELLED, S.REFUNDED}
    ),
    S.CANCELLED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.RETURNED: frozenset({S.REFUNDED}),
}

#: What each status is called wherever a person reads it (order pages, e-mails, history).
LABELS: dict[OrderStatus, str] = {
    S.PENDING_PAYMENT: "Waiting for payment",
    S.PAID: "Paid",
    S.PAYMENT_FAILED: "Payment failed",
    S.SUBMITTED: "Sent to the printer",
    S.IN_PRODUCTION: "Printing",
    S.SHIPPED: "Shipped",
    S.DELIVERED: "Delivered",
    S.NEEDS_ATTENTION: "We are looking into it",
    S.CANCELLED: "Cancelled",
    S.REFUNDED: "Refunded",
    S.RETURNED: "Returned",
}


def status_label(status: str) -> str:
    """``"submitted"`` → ``"Sent to the printer"``; an unknown value is shown as it is."""
    try:
        return LABELS[OrderStatus(status)]
    except ValueError:
        return str(status)


#: How far along fulfillment an order is; used to refuse going backwards.
FULFILLMENT_RANK = {S.PAID: 0, S.SUBMITTED: 1, S.IN_PRODUCTION: 2, S.SHIPPED: 3, S.DELIVERED: 4}

OPEN_FULFILLMENT = frozenset({S.SUBMITTED, S.IN_PRODUCTION, S.SHIPPED})


class InvalidTransition(Exception):
    def __init__(self, number: str, current: str, target: str) -> None:
        super().__init__(f"order {number}: {current} → {target} is not allowed")
        self.current, self.target = current, target


def can_transition(current: str, target: str) -> bool:
    return OrderStatus(target) in ALLOWED[OrderStatus(current)]


def is_backwards(current: str, target: str) -> bool:
    cur, tgt = FULFILLMENT_RANK.get(OrderStatus(current)), FULFILLMENT_RANK.get(OrderStatus(target))
    return cur is not None and tgt is not None and tgt < cur


def fulfillment_step(current: OrderStatus, target: OrderStatus | None) -> OrderStatus | None:
    """Where an order goes when the printer reports ``target``: forward only (a late
    ``printed`` never overwrites ``shipped``); trouble, or trouble cleared, always counts.
    ``None`` means stay."""
    if target is None or target == current:
        return None
    if target == S.NEEDS_ATTENTION or current == S.NEEDS_ATTENTION:
        return target
    return None if is_backwards(current, target) or not is_ranked(current, target) else target


def is_ranked(*statuses: OrderStatus) -> bool:
    """Whether every status is a stage of fulfillment (see :data:`FULFILLMENT_RANK`)."""
    return all(status in FULFILLMENT_RANK for status in statuses)


def transition(
    session: Session,
    order: Order,
    target: OrderStatus | str,
    *,
    actor: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Move ``order`` to ``target`` and write the event. Returns False if already there.

    The caller holds the order row locked (``lock_order``) so two deliveries of the same fact
    cannot both pass this check.
    """
    target = OrderStatus(target)
    current = OrderStatus(order.status)
    if current == target:
        return False
    if target not in ALLOWED[current]:
        raise InvalidTransition(order.number, current, target)
    order.status = target
    if target == S.PAID and order.paid_at is None:
        order.paid_at = utcnow()
    if target != S.NEEDS_ATTENTION:
        order.attention_reason = None if current == S.NEEDS_ATTENTION else order.attention_reason
    else:
        order.attention_reason = reason
    session.add(
        OrderEvent(
            order=order,
            kind="status",
            from_status=current,
            to_status=target,
            actor=actor,
            reason=reason,
            data=data or {},
        )
    )
    return True


def record_event(
    session: Session,
    order: Order,
    kind: str,
    *,
    actor: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """A noteworthy fact that is not a status change (tracking code, refund, e-mail sent…)."""
    event = OrderEvent(order=order, kind=kind, actor=actor, reason=reason, data=data or {})
    session.add(event)
    return event
