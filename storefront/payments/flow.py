"""The payment flow shared by pages and jobs: start a provider checkout, apply its answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storefront.db import Database, utcnow
from storefront.errors import ServiceUnavailable
from storefront.gateways.port import CheckoutRequest, Line, PaymentError, PaymentStatus
from storefront.gateways.registry import Gateways
from storefront.orders.links import order_path, order_token
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from storefront.payments import confirmation as payments
from storefront.payments.models import Payment
from storefront.urls import absolute_url

log = logging.getLogger(__name__)


def start_payment(
    db: Database, gateways: Gateways, order_id: int, *, order: Order | None = None
) -> str:
    """Create (or find again) the provider checkout for the order; returns where to send the
    shopper. Idempotent: the provider sees the same idempotency key for the same order.

    ``order``: the order just placed (items loaded), so it need not be read again. Runs in
    an app context (the return links are the shop's routes).
    """
    if order is None:
        with db.session_scope() as session:
            order = session.execute(
                select(Order).where(Order.id == order_id).options(selectinload(Order.items))
            ).scalar_one()
    request_ = _checkout_request(order)
    if request_ is None:
        return order_path(order.number)
    provider = order.payment_provider or "stripe"
    try:
        started = gateways.get(provider).start_checkout(request_)
    except PaymentError as exc:
        log.warning("could not start %s checkout for order %s: %s", provider, order_id, exc)
        raise ServiceUnavailable(
            f"{provider.title()} is not answering right now. Your order is saved; "
            "please try again in a minute."
        ) from exc
    with db.session_scope(write=True) as session:
        payments.note_attempt(session, order, provider, started.provider_ref)
    return started.redirect_url


def _checkout_request(order: Order) -> CheckoutRequest | None:
    """What the provider is asked for; ``None`` once the order is past paying."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return None
    provider = order.payment_provider or "stripe"
    token = order_token(order.number)
    success = absolute_url("checkout.returned", provider=provider, order=order.number, t=token)
    if provider == "stripe":  # Stripe fills in the literal placeholder
        success += "&session_id={CHECKOUT_SESSION_ID}"
    return CheckoutRequest(
        order_id=str(order.id),
        order_number=order.number,
        currency=order.currency,
        lines=tuple(
            Line(
                name=f"{i.title} ({i.colour}, {i.size})",
                unit_amount=i.unit_amount,
                quantity=i.quantity,
                sku=i.product_uid,
            )
            for i in order.items
        ),
        shipping_amount=order.shipping_amount,
        discount_amount=order.discount_amount,
        shipping_discount=order.shipping_discount_amount,
        discount_label=order.discount_code,
        customer_email=order.email,
        success_url=success,
        cancel_url=absolute_url("checkout.cancelled", order=order.number, t=token),
        expires_at=order.payment_expires_at or utcnow() + timedelta(minutes=45),
        vat_amount=order.vat_amount,
        vat_rate=_one_rate(order),
    )


def _one_rate(order: Order) -> Decimal | None:
    """The order's VAT rate (goods and shipping share one: ``storefront.vat``)."""
    vat = order.vat
    return vat.lines[0].rate if vat is not None and vat.lines else None


def latest_ref(session: Session, order_id: int, provider: str) -> str | None:
    return (
        session.execute(
            select(Payment.provider_ref)
            .where(Payment.order_id == order_id, Payment.provider == provider)
            .order_by(Payment.id.desc())
        )
        .scalars()
        .first()
    )


def apply_status(
    db: Database,
    order_id: int,
    status: PaymentStatus,
    *,
    actor: str,
    order_link: Callable[[str], str],
) -> str:
    """Apply what the provider says about a payment (return page and reconciliation)."""
    facts = payments.PaymentFacts(
        status.provider, status.provider_ref, status.payment_id, status.amount, status.currency
    )
    with db.session_scope(write=True) as session:
        order = session.get_one(Order, order_id)
        if status.state == "paid":
            link = order_link(order.number)
            return payments.confirm_paid(session, order_id, facts, actor=actor, order_link=link)
        if status.state == "failed":
            payments.mark_failed(
                session,
                order_id,
                facts,
                actor=actor,
                reason=status.failure_reason or "payment failed",
            )
            return "failed"
        if status.state == "expired":
            payments.expire_order(session, order_id, actor=actor, reason="checkout expired")
            return "expired"
        if status.state == "pending":
            payments.mark_pending(session, order_id, facts, actor=actor)
            return "pending"
    return status.state
