"""What a payment outcome does to an order — one idempotent path for every messenger.

The webhook, the return page and the reconciliation job all call these functions with the
facts they learned; each locks the order row first, so however many times and in whatever
order the facts arrive, the order is confirmed once, with one outbox entry for Gelato and
one confirmation e-mail, written in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.db import insert_or_ignore, utcnow
from storefront.orders import workflows
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import OrderStatus, record_event
from storefront.payments.models import AttemptStatus, Payment

log = logging.getLogger(__name__)

S = OrderStatus
P = AttemptStatus


@dataclass(frozen=True)
class PaymentFacts:
    provider: str
    provider_ref: str
    payment_id: str | None
    amount: int | None
    currency: str | None


def note_attempt(session: Session, order: Order, provider: str, provider_ref: str) -> None:
    """The provider accepted our checkout request; remember its reference (one statement;
    a repeat of the same reference is a no-op)."""
    now = utcnow()
    insert_or_ignore(
        session,
        Payment,
        {
            "order_id": order.id,
            "provider": provider,
            "provider_ref": provider_ref,
            "status": P.OPEN,
            "amount": order.total_amount,
            "currency": order.currency,
            "created_at": now,
            "updated_at": now,
        },
    )


def note_approved(session: Session, provider: str, provider_ref: str) -> None:
    """The shopper said yes at the provider (they came back to our return page, or the
    provider told us they approved): from now on reconciliation asks about the payment at
    its next run instead of waiting out the grace period kept for abandoned checkouts."""
    session.execute(
        update(Payment)
        .where(
            Payment.provider == provider,
            Payment.provider_ref == provider_ref,
            Payment.status == P.OPEN,
        )
        .values(status=P.APPROVED)  # updated_at follows by itself (TimestampMixin's onupdate)
    )


def record_attempt(session: Session, order: Order, provider: str, provider_ref: str) -> Payment:
    """The provider accepted our checkout request; remember its reference."""
    payment = session.execute(
        select(Payment).where(Payment.provider == provider, Payment.provider_ref == provider_ref)
    ).scalar_one_or_none()
    if payment is None:
        payment = Payment(
            order_id=order.id,
            provider=provider,
            provider_ref=provider_ref,
            status=P.OPEN,
            amount=order.total_amount,
            currency=order.currency,
        )
        session.add(payment)
    return payment


def _payment(session: Session, order: Order, facts: PaymentFacts) -> Payment:
    payment = record_attempt(session, order, facts.provider, facts.provider_ref)
    if facts.payment_id:
        payment.provider_payment_id = facts.payment_id
    return payment


def confirm_paid(
    session: Session,
    order_id: int,
    facts: PaymentFacts,
    *,
    actor: str,
    order_link: str,
) -> str:
    """Money moved. Returns ``confirmed``, ``already`` or ``attention``."""
    order = lock_order(session, order_id=order_id)
    if order is None:
        raise LookupError(f"order {order_id} not found")
    payment = _payment(session, order, facts)
    if payment.status == P.PAID or order.status not in (
        S.PENDING_PAYMENT,
        S.PAYMENT_FAILED,
        S.CANCELLED,
    ):
        payment.status = P.PAID
        return "already"
    payment.status = P.PAID
    if facts.amount != order.total_amount or (facts.currency or "").upper() != order.currency:
        workflows.payment_doubtful(
            session,
            order,
            actor=actor,
            reason=f"paid {facts.amount} {facts.currency} but the order totals "
            f"{order.total_amount} {order.currency}",
        )
        return "attention"
    if order.status != S.PENDING_PAYMENT:
        workflows.payment_doubtful(
            session,
            order,
            actor=actor,
            reason=f"payment arrived after the order was {order.status}: refund or fulfil",
        )
        return "attention"
    workflows.order_paid(
        session,
        order,
        actor=actor,
        reason=f"{facts.provider} {facts.provider_ref}",
        data={"payment_id": facts.payment_id, "amount": facts.amount},
        order_link=order_link,
    )
    return "confirmed"


def mark_pending(session: Session, order_id: int, facts: PaymentFacts, *, actor: str) -> None:
    """The payer committed but the money is not there yet (async methods, PayPal PENDING)."""
    order = lock_order(session, order_id=order_id)
    if order is None:
        return
    payment = _payment(session, order, facts)
    if payment.status in (P.OPEN, P.APPROVED):
        payment.status = P.PENDING
    record_event(session, order, "payment_pending", actor=actor, reason=facts.provider_ref)


def mark_failed(
    session: Session, order_id: int, facts: PaymentFacts, *, actor: str, reason: str
) -> bool:
    """The payment was refused (a late failure never undoes a payment we saw succeed)."""
    order = lock_order(session, order_id=order_id)
    if order is None:
        return False
    payment = _payment(session, order, facts)
    if payment.status == P.PAID:
        return False
    payment.status, payment.failure_reason = P.FAILED, reason
    return workflows.payment_failed(session, order, actor=actor, reason=reason)


def expire_order(session: Session, order_id: int, *, actor: str, reason: str) -> bool:
    """Nobody paid in time (or the provider's session expired): cancel and free the stock."""
    order = lock_order(session, order_id=order_id)
    if order is None or order.status not in (S.PENDING_PAYMENT, S.PAYMENT_FAILED):
        return False
    attempts = session.execute(select(Payment).where(Payment.order_id == order.id)).scalars().all()
    if any(p.status == P.PAID for p in attempts):
        return False
    for payment in attempts:
        if payment.status in (P.OPEN, P.APPROVED, P.PENDING):
            payment.status = P.EXPIRED
    workflows.order_cancelled(session, order, actor=actor, reason=reason)
    return True
