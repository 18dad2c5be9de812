"""Order endpoints of the JSON API: your orders (list, one, cancel an unpaid one), and the
operator's (search, act on one: retry fulfillment or cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from storefront.container import services
from storefront.errors import Conflict, NotFound
from storefront.operations import orders as operations
from storefront.orders.links import order_url
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from storefront.payments import confirmation as payments
from storefront.web.admin import queries as admin_queries
from storefront.web.api.framework import Page, PageQuery, paginate, require_user, v1


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    title: str
    size: str
    colour: str
    quantity: int
    unit_amount: int
    line_amount: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    status: str
    currency: str
    subtotal_amount: int
    shipping_amount: int
    total_amount: int
    refunded_amount: int
    discount_code: str | None = None
    discount_amount: int = 0
    shipping_discount_amount: int = 0
    vat_amount: int = Field(0, description="The VAT inside total_amount (minor units).")
    vat_breakdown: dict[str, Any] | None = Field(
        None,
        description="country, scheme (oss, domestic, uk, uk_import, export), gross, net, vat "
        "and lines [{rate, net, vat, gross}] in minor units; null for orders from before VAT.",
    )
    payment_provider: str | None = None
    created_at: datetime
    items: list[OrderItemOut]


class OrderAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["retry_fulfillment", "cancel"]
    reason: str = Field("by an operator through the API", max_length=300)
    key: str = Field(
        min_length=8,
        max_length=64,
        description="One per intended action; repeating it repeats nothing (idempotency).",
    )


class OperatorOrderQuery(PageQuery):
    status: str | None = None
    provider: Literal["stripe", "paypal"] | None = None
    q: str | None = Field(
        None, max_length=100, description="Part of an order number, or a whole e-mail address."
    )


def _mine(number: str) -> Order:
    user = require_user()
    with services().db.session_scope() as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
        if order is None or (order.customer_id != user.id and not user.has_role("operator")):
            raise NotFound("No such order.")  # the same answer for "not yours"
        _ = list(order.items)
        return order


@v1.get(
    "/orders",
    query=PageQuery,
    response=Page[OrderOut],
    access="customer",
    summary="Your orders, newest first",
    tags=["orders"],
)
def list_orders(query: PageQuery) -> Page[OrderOut]:
    user = require_user()
    with services().db.session_scope() as session:
        stmt = select(Order).where(Order.customer_id == user.id)
        return paginate(session, stmt.order_by(Order.id.desc()), query, OrderOut)


@v1.get(
    "/orders/<number>",
    response=OrderOut,
    access="customer",
    errors=[404],
    summary="One of your orders",
    tags=["orders"],
)
def get_order(number: str) -> OrderOut:
    return OrderOut.model_validate(_mine(number))


@v1.post(
    "/orders/<number>/cancel",
    response=OrderOut,
    access="customer",
    errors=[404, 409],
    summary="Cancel your order while it is unpaid",
    tags=["orders"],
)
def cancel_order(number: str) -> OrderOut:
    order = _mine(number)
    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        raise Conflict("Only unpaid orders can be cancelled here; write to us for the rest.")
    actor = f"customer:{require_user().id}"
    with services().db.session_scope(write=True) as session:
        payments.expire_order(session, order.id, actor=actor, reason="cancelled by the customer")
    return OrderOut.model_validate(_mine(number))


@v1.get(
    "/operator/orders",
    query=OperatorOrderQuery,
    response=Page[OrderOut],
    access="operator",
    summary="Search every order",
    tags=["operator"],
)
def operator_orders(query: OperatorOrderQuery) -> Page[OrderOut]:
    filters = admin_queries.OrderFilters(
        status=query.status or "", provider=query.provider or "", q=query.q or ""
    )
    with services().db.session_scope() as session:
        stmt = admin_queries.filtered(session, filters)
        return paginate(session, stmt.order_by(Order.id.desc()), query, OrderOut)


@v1.post(
    "/operator/orders/<number>",
    body=OrderAction,
    response=OrderOut,
    access="operator",
    errors=[404, 409],
    summary="Act on an order: retry fulfillment or cancel",
    tags=["operator"],
)
def operator_order_action(number: str, body: OrderAction) -> OrderOut:
    order = _mine(number)
    actor = f"operator:{require_user().id}"
    found = services()
    if body.action == "retry_fulfillment":
        if not operations.retry_fulfillment(found.db, order.id, actor=actor):
            raise Conflict("Nothing to retry: the order does not need attention.")
    else:
        try:
            operations.cancel(
                found.db,
                found.gelato,
                found.gateways,
                order.id,
                actor=actor,
                key=body.key,
                reason=body.reason,
                order_link=order_url,
            )
        except operations.OperationError as exc:
            raise Conflict(str(exc)) from exc
    return OrderOut.model_validate(_mine(number))
