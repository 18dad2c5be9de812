"""Buyers with delivered orders, and operators, for the review tests."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient

from storefront.accounts import services as accounts
from storefront.accounts.models import Customer
from storefront.container import services
from storefront.orders.models import Order, OrderItem
from storefront.orders.numbers import new_order_number
from storefront.orders.states import OrderStatus, transition

PRODUCT = "product-compost-happens"
SLUG = "compost-happens"


def customer(
    app: Flask, email: str, *, role: str = "customer", invites: bool = False, verified: bool = False
) -> int:
    with services(app).db.session_scope(write=True) as session:
        user = accounts.register(session, email, "correct horse battery", role=role)
        user.review_invites = invites
        if verified:  # the address proven: its guest records join the account (#14)
            accounts.mark_email_verified(session, user)
        session.flush()
        return user.id


def login(app: Flask, user_id: int) -> FlaskClient:
    with services(app).db.session_scope() as session:
        version = accounts.session_version(session.get_one(Customer, user_id))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["av"] = user_id, version
    return client


def order(
    app: Flask,
    *,
    customer_id: int | None,
    email: str,
    status: OrderStatus = OrderStatus.DELIVERED,
    product_id: str = PRODUCT,
    review_invites: bool = False,
    delivered_at: datetime | None = None,
) -> str:
    """An order of one shirt moved through the real transitions to ``status``."""
    with services(app).db.session_scope(write=True) as session:
        row = Order(
            number=new_order_number(),
            customer_id=customer_id,
            email=email,
            status=OrderStatus.PENDING_PAYMENT,
            currency="EUR",
            subtotal_amount=2900,
            shipping_amount=490,
            total_amount=3390,
            shipping_address={"country": "DE"},
            review_invites=review_invites,
            items=[
                OrderItem(
                    product_id=product_id,
                    variant_key="black-m",
                    product_uid="uid-black-m",
                    title="Compost Happens",
                    size="M",
                    colour="Black",
                    unit_amount=2900,
                    quantity=1,
                    line_amount=2900,
                    currency="EUR",
                )
            ],
        )
        session.add(row)
        session.flush()
        path = [OrderStatus.PAID, OrderStatus.SUBMITTED, OrderStatus.SHIPPED]
        path += [OrderStatus.DELIVERED]
        for step in path:
            if status == OrderStatus.PENDING_PAYMENT:
                break
            transition(session, row, step, actor="test")
            if step == status:
                break
        session.flush()
        if delivered_at is not None:
            for event in row.events:
                if event.to_status == OrderStatus.DELIVERED:
                    event.created_at = delivered_at
        return row.number
