"""The shopper's order page: reachable by a signed link, or by its owner when logged in.

While the payment is pending, ``static/order-status.js`` asks ``/orders/<n>/status`` now and
then and reloads the page once the status changed: no inline script, so the CSP stays strict.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.checkout.shipping import find_option, table_options
from storefront.container import services
from storefront.db import utcnow
from storefront.errors import NotFound
from storefront.fulfillment.tracking import delivery_of
from storefront.orders.links import token_matches
from storefront.orders.models import Order
from storefront.orders.states import FULFILLMENT_RANK, LABELS, status_label
from storefront.payments.models import Refund
from storefront.web.auth import access, current_user

bp = Blueprint("orders", __name__)

#: The shopper's progress bar: each stage of fulfillment with its label, in the order of
#: :data:`~storefront.orders.states.FULFILLMENT_RANK` (which also decides what is done).
STEP_LABELS = {status: LABELS[status] for status in FULFILLMENT_RANK}
STEPS = sorted(STEP_LABELS.items(), key=lambda step: FULFILLMENT_RANK[step[0]])

#: How long after paying the order page still says thank you.
THANKS_FOR = timedelta(days=1)


def may_see(order: Order, token: str | None) -> bool:
    if token_matches(order.number, token):
        return True
    user = current_user()
    return user is not None and (order.customer_id == user.id or user.has_role("operator"))


def _visible_order(number: str, token: str | None) -> Order:
    current_user()  # resolved before the session below: one session at a time
    with services().db.session_scope() as session:
        order = session.execute(
            select(Order).where(Order.number == number).options(selectinload(Order.items))
        ).scalar_one_or_none()
        # The same answer for "no such order" and "not yours": numbers reveal nothing.
        if order is None or not may_see(order, token):
            raise NotFound("We could not find that order. Use the link from your e-mail.")
        return order


def shipping_label(order: Order) -> str:
    """The shipping choice worded as checkout offered it (older orders: from the table)."""
    if order.shipping_label:
        return order.shipping_label
    country = str((order.shipping_address or {}).get("country") or "")
    option = find_option(table_options(country, order.currency), order.shipping_method)
    return option.label if option else "Shipping"


@bp.get("/orders/<number>")
@access("public")
def order_page(number: str) -> ResponseReturnValue:
    token = request.args.get("t")
    order = _visible_order(number, token)
    with services().db.session_scope() as session:
        refunds = (
            session.execute(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
            .scalars()
            .all()
        )
        delivery = delivery_of(session, order.id)
    fresh = order.paid_at is not None and utcnow() - order.paid_at < THANKS_FOR
    return render_template(
        "orders/order.html",
        order=order,
        steps=STEPS,
        ranks=FULFILLMENT_RANK,
        refunds=refunds,
        delivery=delivery,
        token=token,
        shipping=shipping_label(order),
        thank_you=fresh and order.status in FULFILLMENT_RANK,
        status_url=url_for("orders.order_status", number=order.number, t=token),
    )


@bp.get("/orders/<number>/status")
@access("public")
def order_status(number: str) -> ResponseReturnValue:
    """What the pending page polls: the status and its name, never cached."""
    order = _visible_order(number, request.args.get("t"))
    return jsonify(
        {"number": order.number, "status": order.status, "label": status_label(order.status)}
    )
