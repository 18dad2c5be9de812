"""What a payment outcome does to an order — one idempotent path for every messenger.

The webhook, the return page and the reconciliation job all call these functions with the
facts they learned; each locks the order row first, so however many times and in whatever
order the facts arrive, the order is confirmed once, with one outbox entry for Gelato and
one confirmation e-mail, written in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.cart.models import Cart
from storefront.db import insert_or_ignore, utcnow
from storefront.mail.messages import queue_email
from storefront.money import format_money
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import OrderStatus, record_event, transition
from storefront.outbox import service as outbox
from storefront.payments.models import Payment
from storefront.stock import services as stock

log = logging.getLogger(__name__)

GELATO_PUSH = "gelato.push"
S = OrderStatus


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
            "status": "open",
            "amount": order.total_amount,
            "currency": order.currency,
            "created_at": now,
            "updated_at": now,
        },
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
            status="open",
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
    order_link: str | None = None,
) -> str:
    """Money moved. Returns ``confirmed``, ``already`` or ``attention``."""
    order = lock_order(session, order_id=order_id)
    if order is None:
        raise LookupError(f"order {order_id} not found")
    payment = _payment(session, order, facts)
    if payment.status == "paid" or order.status not in (
        S.PENDING_PAYMENT,
        S.PAYMENT_FAILED,
        S.CANCELLED,
    ):
        payment.status = "paid"
        return "already"
    payment.status = "paid"
    if facts.amount != order.total_amount or (facts.currency or "").upper() != order.currency:
        _to_attention(
            session,
            order,
            actor,
            f"paid {facts.amount} {facts.currency} but the order totals "
            f"{order.total_amount} {order.currency}",
        )
        return "attention"
    if order.status != S.PENDING_PAYMENT:
        _to_attention(
            session,
            order,
            actor,
            f"payment arrived after the order was {order.status}: refund or fulfil",
        )
        return "attention"
    transition(
        session,
        order,
        S.PAID,
        actor=actor,
        reason=f"{facts.provider} {facts.provider_ref}",
        data={"payment_id": facts.payment_id, "amount": facts.amount},
    )
    stock.consume(session, order.id)
    outbox.enqueue(session, GELATO_PUSH, order.number, {"order_id": order.id})
    queue_email(
        session,
        "order_confirmation",
        order.email,
        order.number,
        {
            "number": order.number,
            "link": order_link or "",
            "total": format_money(order.total_amount, order.currency),
            "items": [
                {
                    "title": i.title,
                    "size": i.size,
                    "colour": i.colour,
                    "quantity": i.quantity,
                    "amount": format_money(i.line_amount, i.currency),
                }
                for i in order.items
            ],
        },
    )
    if order.cart_id is not None:
        cart = session.get(Cart, order.cart_id)
        if cart is not None and cart.status == "open":
            cart.status = "converted"
    return "confirmed"


def _to_attention(session: Session, order: Order, actor: str, reason: str) -> None:
    if order.status == S.PENDING_PAYMENT:
        # pending_payment has no direct edge to needs_attention: it is paid, but doubtful.
        transition(session, order, S.PAID, actor=actor, reason="payment received")
        stock.consume(session, order.id)
    if order.status in (S.PAYMENT_FAILED, S.CANCELLED):
        record_event(session, order, "payment_after_close", actor=actor, reason=reason)
        order.attention_reason = reason
        return
    transition(session, order, S.NEEDS_ATTENTION, actor=actor, reason=reason)


def mark_pending(session: Session, order_id: int, facts: PaymentFacts, *, actor: str) -> None:
    """The payer committed but the money is not there yet (async methods, PayPal PENDING)."""
    order = lock_order(session, order_id=order_id)
    if order is None:
        return
    payment = _payment(session, order, facts)
    if payment.status in ("open", "approved"):
        payment.status = "pending"
    record_event(session, order, "payment_pending", actor=actor, reason=facts.provider_ref)


def mark_failed(
    session: Session, order_id: int, facts: PaymentFacts, *, actor: str, reason: str
) -> bool:
    """The payment was refused; the held stock goes back and the shopper is told."""
    order = lock_order(session, order_id=order_id)
    if order is None:
        return False
    payment = _payment(session, order, facts)
    if payment.status == "paid":
        return False  # a late failure never undoes a payment we saw succeed
    payment.status, payment.failure_reason = "failed", reason
    if order.status != S.PENDING_PAYMENT:
        return False
    transition(session, order, S.PAYMENT_FAILED, actor=actor, reason=reason)
    stock.release(session, order.id)
    queue_email(
        session,
        "payment_failed",
        order.email,
        order.number,
        {"number": order.number, "reason": reason},
    )
    return True


def expire_order(session: Session, order_id: int, *, actor: str, reason: str) -> bool:
    """Nobody paid in time (or the provider's session expired): cancel and free the stock."""
    order = lock_order(session, order_id=order_id)
    if order is None or order.status not in (S.PENDING_PAYMENT, S.PAYMENT_FAILED):
        return False
    if any(
        p.status == "paid"
        for p in session.execute(select(Payment).where(Payment.order_id == order.id)).scalars()
    ):
        return False
    for payment in session.execute(select(Payment).where(Payment.order_id == order.id)).scalars():
        if payment.status in ("open", "approved", "pending"):
            payment.status = "expired"
    transition(session, order, S.CANCELLED, actor=actor, reason=reason)
    stock.release(session, order.id)
    if order.cart_id is not None:
        cart = session.get(Cart, order.cart_id)
        if cart is not None and cart.status == "converted":
            cart.status = "open"
    return True
