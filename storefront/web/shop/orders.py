"""The shopper's order page: reachable by a signed link, or by its owner when logged in."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.container import services
from storefront.errors import NotFound
from storefront.fulfillment.tracking import delivery_of
from storefront.invoices import services as invoices
from storefront.invoices.models import CreditNote, Invoice
from storefront.invoices.pdf import Seller
from storefront.orders.links import token_matches
from storefront.orders.models import Order
from storefront.orders.states import FULFILLMENT_RANK, OrderStatus
from storefront.payments.models import Refund
from storefront.web.auth import access, current_user

bp = Blueprint("orders", __name__)

#: The shopper's progress bar: a label for each stage of fulfillment, in the order of
#: :data:`~storefront.orders.states.FULFILLMENT_RANK` (which also decides what is done).
STEP_LABELS = {
    OrderStatus.PAID: "Paid",
    OrderStatus.SUBMITTED: "Sent to the printer",
    OrderStatus.IN_PRODUCTION: "Printing",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
}
STEPS = sorted(STEP_LABELS.items(), key=lambda step: FULFILLMENT_RANK[step[0]])


def may_see(order: Order, token: str | None) -> bool:
    if token_matches(order.number, token):
        return True
    user = current_user()
    return user is not None and (order.customer_id == user.id or user.has_role("operator"))


@bp.get("/orders/<number>")
@access("public")
def order_page(number: str) -> ResponseReturnValue:
    token = request.args.get("t")
    current_user()  # resolved before the session below: one session at a time
    with services().db.session_scope() as session:
        order = session.execute(
            select(Order).where(Order.number == number).options(selectinload(Order.items))
        ).scalar_one_or_none()
        # The same answer for "no such order" and "not yours": numbers reveal nothing.
        if order is None or not may_see(order, token):
            raise NotFound("We could not find that order. Use the link from your e-mail.")
        refunds = (
            session.execute(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
            .scalars()
            .all()
        )
        delivery = delivery_of(session, order.id)
        invoice = invoices.invoice_for(session, order.id)
        notes = (
            session.execute(
                select(CreditNote.number)
                .where(CreditNote.invoice_id == invoice.id)
                .order_by(CreditNote.id)
            )
            .scalars()
            .all()
            if invoice is not None
            else []
        )
    return render_template(
        "orders/order.html",
        order=order,
        steps=STEPS,
        ranks=FULFILLMENT_RANK,
        refunds=refunds,
        delivery=delivery,
        token=token,
        invoice_number=invoice.number if invoice else None,
        credit_notes=notes,
    )


def seller() -> Seller:
    settings = services().settings
    return Seller(
        settings.seller_name,
        "\n".join(part.strip() for part in settings.seller_address.split(",")),
        settings.seller_vat_id,
    )


def pdf_response(body: bytes, number: str) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


def _document(number: str, model: type[Invoice] | type[CreditNote], doc: str | None) -> Response:
    token = request.args.get("t")
    current_user()
    with services().db.session_scope() as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
        if order is None or not may_see(order, token):
            raise NotFound("We could not find that order. Use the link from your e-mail.")
        invoice = invoices.invoice_for(session, order.id)
        wanted = invoice.number if invoice is not None and doc is None else doc
        if invoice is None or (
            doc is not None
            and session.execute(
                select(CreditNote.id).where(
                    CreditNote.number == doc, CreditNote.invoice_id == invoice.id
                )
            ).first()
            is None
        ):
            raise NotFound("This order has no such document yet; it comes once it is paid.")
    assert wanted is not None
    body = invoices.pdf_bytes(services().db, model, wanted, seller())
    if body is None:
        raise NotFound("No such document.")
    return pdf_response(body, wanted)


@bp.get("/orders/<number>/invoice.pdf")
@access("public")
def invoice_pdf(number: str) -> ResponseReturnValue:
    return _document(number, Invoice, None)


@bp.get("/orders/<number>/credit-notes/<note>.pdf")
@access("public")
def credit_note_pdf(number: str, note: str) -> ResponseReturnValue:
    return _document(number, CreditNote, note[:32])
