"""Acting on a verified provider event: dedupe, find the order, apply the outcome.

Webhook views call :func:`handle_event` after the signature check; the reconciliation job
calls it for events Stripe says were never delivered. Everything happens in one transaction,
so a failure rolls back the dedupe record too and the provider's retry gets another go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storefront.db import Database
from storefront.gateways.port import ProviderEvent
from storefront.inbox.services import mark_processed, record_delivery
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import ALLOWED, OrderStatus, record_event, transition
from storefront.outbox import services as outbox
from storefront.payments import confirmation as payments
from storefront.payments.models import Payment, Refund

log = logging.getLogger(__name__)

PAYPAL_CAPTURE = "paypal.capture"


def _find_order_id(session: Session, event: ProviderEvent) -> int | None:
    ref = event.order_ref
    if ref and ref.isdigit() and session.get(Order, int(ref)) is not None:
        return int(ref)
    refs = [r for r in (event.provider_ref, event.payment_id) if r]
    if not refs:
        return None
    payment = (
        session.execute(
            select(Payment).where(
                Payment.provider == event.provider,
                or_(Payment.provider_ref.in_(refs), Payment.provider_payment_id.in_(refs)),
            )
        )
        .scalars()
        .first()
    )
    return payment.order_id if payment else None


def handle_event(db: Database, event: ProviderEvent, *, order_link: Callable[[str], str]) -> str:
    """Apply ``event`` once; returns what happened (for the log and the webhook's answer)."""
    with db.session_scope(write=True) as session:
        if not record_delivery(
            session, event.provider, event.event_id, event.type, dict(event.payload)
        ):
            return "duplicate"
        order_id = _find_order_id(session, event)
        if order_id is None:
            outcome = "ignored:not-ours" if event.kind != "other" else "ignored"
            mark_processed(session, event.provider, event.event_id, outcome)
            return outcome
        outcome = _apply(session, order_id, event, order_link)
        mark_processed(session, event.provider, event.event_id, outcome)
        return outcome


def _apply(
    session: Session, order_id: int, event: ProviderEvent, order_link: Callable[[str], str]
) -> str:
    facts = payments.PaymentFacts(
        event.provider, event.provider_ref or "", event.payment_id, event.amount, event.currency
    )
    actor = f"webhook:{event.provider}"
    if event.kind == "payment.paid":
        number = session.get_one(Order, order_id).number
        return payments.confirm_paid(
            session, order_id, facts, actor=actor, order_link=order_link(number)
        )
    if event.kind == "payment.pending":
        payments.mark_pending(session, order_id, facts, actor=actor)
        return "pending"
    if event.kind == "payment.failed":
        return (
            "failed"
            if payments.mark_failed(session, order_id, facts, actor=actor, reason=event.type)
            else "ignored:late-failure"
        )
    if event.kind == "checkout.expired":
        return (
            "expired"
            if payments.expire_order(session, order_id, actor=actor, reason=event.type)
            else "ignored:not-open"
        )
    if event.kind == "payment.approved":
        if event.provider_ref:
            payments.note_approved(session, event.provider, event.provider_ref)
        # Capturing is an outside call: promise it, the worker (or the return page) does it.
        outbox.enqueue(
            session,
            PAYPAL_CAPTURE,
            str(order_id),
            {"order_id": order_id, "paypal_order_id": event.provider_ref},
        )
        return "capture-queued"
    if event.kind == "payment.reversed":
        order = lock_order(session, order_id=order_id)
        assert order is not None
        reason = f"payment reversed at {event.provider} ({event.type})"
        if OrderStatus.NEEDS_ATTENTION in _allowed(order.status):
            transition(session, order, OrderStatus.NEEDS_ATTENTION, actor=actor, reason=reason)
        else:
            record_event(session, order, "payment_reversed", actor=actor, reason=reason)
        return "reversed"
    if event.kind == "refund.updated":
        return _refund_update(session, order_id, event)
    return "ignored"


def _allowed(status: str) -> frozenset[OrderStatus]:
    return ALLOWED[OrderStatus(status)]


def _refund_update(session: Session, order_id: int, event: ProviderEvent) -> str:
    refund_id = event.refund_id or ""
    state = event.refund_state or ""
    refund = (
        session.execute(
            select(Refund).where(Refund.order_id == order_id, Refund.provider_ref == refund_id)
        ).scalar_one_or_none()
        if refund_id
        else None
    )
    if refund is None:
        order = session.get_one(Order, order_id)
        record_event(
            session,
            order,
            "refund_seen",
            actor=f"webhook:{event.provider}",
            data={"refund_id": refund_id, "state": state, "amount": event.amount},
        )
        return "refund-noted"
    if state and refund.status != state:
        refund.status = state
    return "refund-updated"
