"""The shopper's order page: reachable by a signed link, or by its owner when logged in."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.container import services
from storefront.errors import NotFound
from storefront.fulfillment.tracking import delivery_of
from storefront.orders.links import token_matches
from storefront.orders.models import Order
from storefront.orders.states import FULFILLMENT_RANK, LABELS
from storefront.payments.models import Refund
from storefront.web.auth import access, current_user

bp = Blueprint("orders", __name__)

#: The shopper's progress bar: each stage of fulfillment with its label, in the order of
#: :data:`~storefront.orders.states.FULFILLMENT_RANK` (which also decides what is done).
STEP_LABELS = {status: LABELS[status] for status in FULFILLMENT_RANK}
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
    return render_template(
        "orders/order.html",
        order=order,
        steps=STEPS,
        ranks=FULFILLMENT_RANK,
        refunds=refunds,
        delivery=delivery,
        token=token,
    )
