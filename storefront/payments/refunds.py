"""Refunds, full or partial, through the provider that took the money.

Each is confirmed by an operator, audited in order events and idempotent on a double click:
the confirmation form carries a one-time key that becomes the provider's idempotency key
and a unique row in our ``refunds`` table. What a refund does to the order is
:func:`storefront.orders.workflows.order_refunded`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from storefront.db import Database
from storefront.gateways.port import PaymentError
from storefront.gateways.registry import Gateways
from storefront.money import format_money
from storefront.orders import workflows
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import record_event
from storefront.payments.models import AttemptStatus, Payment, Refund

log = logging.getLogger(__name__)


class RefundError(Exception):
    """The refund cannot be made; the message says why, for the operator."""


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: int
    status: str
    amount: int
    repeated: bool


def refundable(order: Order) -> int:
    return max(order.total_amount - order.refunded_amount, 0)


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
    """Refund through the provider that took the money; ``amount=None`` = what is left."""
    with db.session_scope(write=True) as session:
        existing = session.execute(
            select(Refund).where(Refund.idempotency_key == key)
        ).scalar_one_or_none()
        if existing is not None:
            return RefundOutcome(existing.id, existing.status, existing.amount, repeated=True)
        order = lock_order(session, order_id=order_id)
        if order is None:
            raise RefundError("No such order.")
        payment = (
            session.execute(
                select(Payment).where(
                    Payment.order_id == order.id, Payment.status == AttemptStatus.PAID
                )
            )
            .scalars()
            .first()
        )
        if payment is None or not payment.provider_payment_id:
            raise RefundError("This order has no captured payment to refund.")
        left = refundable(order)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise RefundError(f"Refund between 0.01 and {format_money(left, order.currency)}.")
        row = Refund(
            order_id=order.id,
            payment_id=payment.id,
            idempotency_key=key,
            status="requested",
            amount=amount,
            currency=order.currency,
            reason=reason,
            actor=actor,
        )
        session.add(row)
        session.flush()
        refund_id, provider = row.id, payment.provider
        payment_ref, currency = payment.provider_payment_id, order.currency
    try:
        result = gateways.get(provider).refund(payment_ref, amount, currency, f"refund-{key}")
    except PaymentError as exc:
        with db.session_scope(write=True) as session:
            row = session.get_one(Refund, refund_id)
            row.status = "failed"
            order = session.get_one(Order, order_id)
            record_event(
                session,
                order,
                "refund_failed",
                actor=actor,
                reason=str(exc),
                data={"amount": amount},
            )
        raise RefundError(f"{provider.title()} refused the refund: {exc}") from exc
    with db.session_scope(write=True) as session:
        order = lock_order(session, order_id=order_id)
        assert order is not None
        row = session.get_one(Refund, refund_id)
        row.provider_ref, row.status = result.refund_id, result.state
        if result.state in ("succeeded", "pending"):
            workflows.order_refunded(
                session,
                order,
                amount,
                actor=actor,
                reason=reason,
                refund_key=str(refund_id),
                order_link=order_link(order.number),
                data={"provider_ref": result.refund_id, "state": result.state},
            )
        return RefundOutcome(refund_id, row.status, amount, repeated=False)
