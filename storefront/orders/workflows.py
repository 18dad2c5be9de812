"""What follows a fact about an order: paid, payment failed, cancelled, refunded.

Payment confirmation (webhook, return page, reconciliation), operators and jobs all end
here, inside their own transaction with the order row locked (``lock_order``). Each
workflow moves the order through :func:`~storefront.orders.states.transition` and makes
each consequence a call into the package that owns it: the stock of limited editions, the
cart, the outbox (the printer's work, :data:`FULFILMENT_TOPIC`), the e-mail queue. Nothing
here talks to a provider; everything here happens exactly when the caller's transaction
commits.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from storefront.cart import services as carts
from storefront.countries import country_name
from storefront.db import utcnow
from storefront.discounts import services as discounts
from storefront.invoices import services as invoices
from storefront.mail.messages import queue_email
from storefront.money import format_money
from storefront.orders.models import Order
from storefront.orders.states import ALLOWED, OrderStatus, record_event, transition
from storefront.outbox import services as outbox
from storefront.stock import services as stock

S = OrderStatus

#: Outbox topic: a paid order to be made. Fulfillment's worker takes it from here.
FULFILMENT_TOPIC = "gelato.push"


def order_paid(
    session: Session,
    order: Order,
    *,
    actor: str,
    reason: str,
    order_link: str,
    data: dict[str, Any] | None = None,
) -> None:
    """The money is in: sell the units, ask for the shirt to be made, thank the shopper,
    close the cart — one transaction, so each happens exactly once."""
    transition(session, order, S.PAID, actor=actor, reason=reason, data=data)
    stock.consume(session, order.id)
    discounts.consume(session, order.id)
    invoice = invoices.issue_invoice(
        session, order.id, sale_of(order), issued_at=utcnow(), vat=vat_lines(order)
    )
    outbox.enqueue(session, FULFILMENT_TOPIC, order.number, {"order_id": order.id})
    queue_email(
        session,
        "order_confirmation",
        order.email,
        order.number,
        {
            "number": order.number,
            "link": order_link,
            "total": format_money(order.total_amount, order.currency),
            "shipping": order.shipping_label or "Shipping",
            "shipping_amount": format_money(order.shipping_amount, order.currency),
            "address": address_lines(order.shipping_address),
            "invoice_number": invoice.number,
            "invoice_link": _beside(order_link, "invoice.pdf"),
            "vat": order.vat.describe() if order.vat is not None else [],
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
        carts.mark_converted(session, order.cart_id)


def address_lines(address: dict[str, Any]) -> list[str]:
    """A delivery address as it is written on an envelope, the country by its name."""
    a = {k: str(v or "").strip() for k, v in (address or {}).items()}
    city = " ".join(p for p in (a.get("post_code"), a.get("city")) if p)
    if a.get("state"):
        city = f"{city}, {a['state']}"
    lines = [
        " ".join(p for p in (a.get("first_name"), a.get("last_name")) if p),
        a.get("company_name"),
        a.get("address_line1"),
        a.get("address_line2"),
        city,
        country_name(a.get("country")),
    ]
    return [line for line in lines if line]


def payment_doubtful(session: Session, order: Order, *, actor: str, reason: str) -> None:
    """Money arrived that does not fit the order (wrong amount, after a cancellation): the
    units are sold, nothing is made, an operator decides."""
    if order.status == S.PENDING_PAYMENT:
        # pending_payment has no direct edge to needs_attention: it is paid, but doubtful.
        transition(session, order, S.PAID, actor=actor, reason="payment received")
        stock.consume(session, order.id)
        discounts.consume(session, order.id)
    if order.status in (S.PAYMENT_FAILED, S.CANCELLED):
        record_event(session, order, "payment_after_close", actor=actor, reason=reason)
        order.attention_reason = reason
        return
    transition(session, order, S.NEEDS_ATTENTION, actor=actor, reason=reason)


def payment_failed(session: Session, order: Order, *, actor: str, reason: str) -> bool:
    """The payment was refused: the held units go back and the shopper is told."""
    if order.status != S.PENDING_PAYMENT:
        return False
    transition(session, order, S.PAYMENT_FAILED, actor=actor, reason=reason)
    stock.release(session, order.id)
    discounts.release(session, order.id)
    queue_email(
        session,
        "payment_failed",
        order.email,
        order.number,
        {"number": order.number, "reason": reason},
    )
    return True


def order_cancelled(
    session: Session,
    order: Order,
    *,
    actor: str,
    reason: str,
    order_link: str | None = None,
) -> None:
    """Cancel: the held units go back; an unpaid order's cart opens again; a paid order's
    shopper is told (an unpaid one backed out, or heard that the payment failed)."""
    before = order.status
    was_unpaid = before in (S.PENDING_PAYMENT, S.PAYMENT_FAILED)
    if before == S.CANCELLED:
        stock.release(session, order.id)
        return
    transition(session, order, S.CANCELLED, actor=actor, reason=reason)
    stock.release(session, order.id)
    discounts.release(session, order.id)
    if was_unpaid and order.cart_id is not None:
        carts.reopen(session, order.cart_id)
    if was_unpaid:
        return
    queue_email(
        session,
        "order_cancelled",
        order.email,
        order.number,
        {
            "number": order.number,
            "total": format_money(order.total_amount, order.currency),
            "paid": True,
            "link": order_link or "",
        },
    )


def order_refunded(
    session: Session,
    order: Order,
    amount: int,
    *,
    actor: str,
    reason: str | None,
    refund_key: str,
    order_link: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Money went back to the shopper (part or all): recorded, and the shopper told."""
    order.refunded_amount += amount
    note = invoices.issue_credit_note(
        session, order.id, amount, refund_key=refund_key, issued_at=utcnow()
    )
    details = {"amount": amount, **(data or {})}
    if note is not None:
        details["credit_note"] = note.number
    record_event(session, order, "refunded", actor=actor, reason=reason, data=details)
    if order.refunded_amount >= order.total_amount and S.REFUNDED in ALLOWED[S(order.status)]:
        transition(session, order, S.REFUNDED, actor=actor, reason="refunded in full")
    queue_email(
        session,
        "order_refunded",
        order.email,
        f"{order.number}:{refund_key}",
        {
            "number": order.number,
            "amount": format_money(amount, order.currency),
            "link": order_link,
        },
    )


def sale_of(order: Order) -> invoices.Sale:
    """What the invoice says was sold: the order's price snapshots and discount shares."""
    address = order.shipping_address or {}
    buyer = [
        f"{address.get('first_name', '')} {address.get('last_name', '')}".strip(),
        address.get("address_line1"),
        address.get("address_line2"),
        f"{address.get('post_code', '')} {address.get('city', '')}".strip(),
        address.get("country"),
        order.email,
    ]
    return invoices.Sale(
        order_number=order.number,
        currency=order.currency,
        buyer=[line for line in buyer if line],
        lines=[
            invoices.Line(
                description=f"{i.title} ({i.colour}, {i.size})",
                quantity=i.quantity,
                unit_amount=i.unit_amount,
                gross=i.line_amount,
                discount=i.discount_amount,
            )
            for i in order.items
        ],
        shipping=order.shipping_amount,
        shipping_discount=order.shipping_discount_amount,
        discount_code=order.discount_code,
        total=order.total_amount,
    )


def vat_lines(order: Order) -> list[invoices.VatLine] | None:
    """The invoice's VAT lines from the order's breakdown (``None``: no VAT charged, the
    invoice shows one 0% line)."""
    vat = order.vat
    if vat is None or not vat.lines:
        return None
    return [
        invoices.VatLine(str(line.rate), line.net.amount, line.vat.amount) for line in vat.lines
    ]


def _beside(order_link: str, name: str) -> str:
    """``…/orders/N?t=…`` → ``…/orders/N/<name>?t=…`` (the same signed token opens it)."""
    parts = urlsplit(order_link)
    return urlunsplit(parts._replace(path=f"{parts.path}/{name}"))
