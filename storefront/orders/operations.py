"""What operators do to an order: refund (full or partial), cancel, retry fulfillment.

Each action is confirmed in the dashboard, audited in order events, and idempotent on a
double click: the confirmation form carries a one-time key that becomes the provider's
idempotency key and a unique row in our ``refunds`` table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from storefront.db import get_db
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.fulfillment.push import gelato_client, retry_parked
from storefront.gateways.port import PaymentError
from storefront.gateways.registry import gateway
from storefront.gelato.errors import GelatoError, OrderAlreadyInProduction
from storefront.mail.messages import queue_email
from storefront.money import format_money
from storefront.orders.links import order_url
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import ALLOWED, OrderStatus, record_event, transition
from storefront.payments.models import Payment, Refund

log = logging.getLogger(__name__)
S = OrderStatus


class OperationError(Exception):
    """The action cannot be done; the message says why, for the operator."""


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: int
    status: str
    amount: int
    repeated: bool


def refundable(order: Order) -> int:
    return max(order.total_amount - order.refunded_amount, 0)


def refund(
    app: Flask,
    order_id: int,
    amount: int | None,
    *,
    actor: str,
    key: str,
    reason: str | None = None,
) -> RefundOutcome:
    """Refund through the provider that took the money; ``amount=None`` = what is left."""
    db = get_db(app)
    with db.session_scope(write=True) as session:
        existing = session.execute(
            select(Refund).where(Refund.idempotency_key == key)
        ).scalar_one_or_none()
        if existing is not None:
            return RefundOutcome(existing.id, existing.status, existing.amount, repeated=True)
        order = lock_order(session, order_id=order_id)
        if order is None:
            raise OperationError("No such order.")
        payment = (
            session.execute(
                select(Payment).where(Payment.order_id == order.id, Payment.status == "paid")
            )
            .scalars()
            .first()
        )
        if payment is None or not payment.provider_payment_id:
            raise OperationError("This order has no captured payment to refund.")
        left = refundable(order)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise OperationError(f"Refund between 0.01 and {format_money(left, order.currency)}.")
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
        result = gateway(app, provider).refund(payment_ref, amount, currency, f"refund-{key}")
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
        raise OperationError(f"{provider.title()} refused the refund: {exc}") from exc
    with db.session_scope(write=True) as session:
        order = lock_order(session, order_id=order_id)
        assert order is not None
        row = session.get_one(Refund, refund_id)
        row.provider_ref, row.status = result.refund_id, result.state
        if result.state in ("succeeded", "pending"):
            order.refunded_amount += amount
            record_event(
                session,
                order,
                "refunded",
                actor=actor,
                reason=reason,
                data={"amount": amount, "provider_ref": result.refund_id, "state": result.state},
            )
            if (
                order.refunded_amount >= order.total_amount
                and S.REFUNDED in ALLOWED[S(order.status)]
            ):
                transition(session, order, S.REFUNDED, actor=actor, reason="refunded in full")
            with app.app_context():
                link = order_url(order.number)
            queue_email(
                session,
                "order_refunded",
                order.email,
                f"{order.number}:{refund_id}",
                {"number": order.number, "amount": format_money(amount, currency), "link": link},
            )
        return RefundOutcome(refund_id, row.status, amount, repeated=False)


def cancel(app: Flask, order_id: int, *, actor: str, key: str, reason: str) -> list[str]:
    """Stop printing (while Gelato still can), cancel, and refund what was paid."""
    db = get_db(app)
    notes: list[str] = []
    with db.session_scope() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise OperationError("No such order.")
        if S.CANCELLED not in ALLOWED[S(order.status)]:
            raise OperationError(
                f"An order that is {order.status.replace('_', ' ')} cannot be cancelled any more."
            )
        gelato_ids = list(
            session.execute(
                select(GelatoOrderRecord.gelato_order_id).where(
                    GelatoOrderRecord.order_id == order_id
                )
            ).scalars()
        )
        was_paid = order.paid_at is not None
    for gelato_id in gelato_ids:
        try:
            gelato_client(app).cancel_order(gelato_id)
            notes.append(f"Gelato order {gelato_id} cancelled")
        except OrderAlreadyInProduction as exc:
            with db.session_scope(write=True) as session:
                record_event(
                    session,
                    session.get_one(Order, order_id),
                    "cancel_refused",
                    actor=actor,
                    reason=f"Gelato: already printed ({gelato_id})",
                )
            raise OperationError(
                f"Gelato has already printed order {gelato_id}; it cannot be cancelled. "
                "Refund instead if the customer should not pay."
            ) from exc
        except GelatoError as exc:
            raise OperationError(f"Gelato did not confirm the cancellation: {exc}") from exc
    with db.session_scope(write=True) as session:
        order = lock_order(session, order_id=order_id)
        assert order is not None
        if order.status != S.CANCELLED:
            transition(session, order, S.CANCELLED, actor=actor, reason=reason)
        from storefront.stock import services as stock

        stock.release(session, order.id)
    if was_paid:
        try:
            outcome = refund(app, order_id, None, actor=actor, key=f"{key}-cancel", reason=reason)
            notes.append(f"refund {outcome.status}")
        except OperationError as exc:
            notes.append(f"refund not made: {exc}")
    return notes


def retry_fulfillment(app: Flask, order_id: int, *, actor: str) -> bool:
    return retry_parked(get_db(app), order_id, actor=actor)
