"""Cart and checkout endpoints of the JSON API (the same services as the pages)."""

from __future__ import annotations

import secrets
from typing import Annotated

from flask import g
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy.orm import Session

from storefront.cart import services as carts
from storefront.cart.models import Cart
from storefront.checkout import services as checkout
from storefront.checkout.schemas import CheckoutDetails
from storefront.container import services
from storefront.errors import Conflict, NotFound, ValidationFailed
from storefront.gelato.address import COUNTRY_PATTERN, country_problem
from storefront.payments.flow import start_payment
from storefront.web.api.framework import require_user, v1
from storefront.web.auth import current_user
from storefront.web.shop.cart import AddItem, SetQuantity, cart_token, offer_source
from storefront.web.shop.checkout import shipping_options


class CartLineOut(BaseModel):
    item_id: int
    product_id: str
    variant_key: str
    title: str | None
    quantity: int
    unit_amount: int | None
    line_amount: int
    purchasable: bool
    notices: list[str]


class CartOut(BaseModel):
    currency: str | None
    lines: list[CartLineOut]
    subtotal: int
    count: int
    notices: list[str]
    can_check_out: bool


class CheckoutIn(CheckoutDetails):
    # Exactly what the document's pattern says, untrimmed (the form trims, then validates
    # the address as a whole): a schema looser than the server misleads every client.
    country: Annotated[str, StringConstraints(strip_whitespace=False)] = Field(
        description="Two-letter ISO 3166-1 code, e.g. DE (GB for the United Kingdom).",
        json_schema_extra={"pattern": COUNTRY_PATTERN},
    )
    checkout_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(18),
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Repeat it to get the same order back.",
    )

    @field_validator("country", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:  # replaces the form's trimming validator
        if isinstance(value, str):
            problem = country_problem(value)
            if problem:
                raise ValueError(problem)
            return value.upper()
        return value


class CheckoutOut(BaseModel):
    order_number: str
    redirect_url: str
    created: bool


def _cart_for_api(session: Session, token: str | None, *, create: bool = False) -> Cart | None:
    """The cookie's cart, else the caller's open cart (``token`` resolved before the session)."""
    user = current_user()
    cart = carts.load_cart(session, token)
    if cart is None and user is not None:
        cart = carts.cart_for_customer(session, user.id)
    if cart is None and create:
        if user is None:
            raise Conflict("Log in or use an API token to keep a cart through the API.")
        cart = carts.create_cart(session, "EUR", customer_id=user.id)
    return cart


def _api_token() -> str | None:
    """The token of the cart the API works on: the cookie's, else the customer's open one."""
    token = cart_token()
    with services().db.session_scope() as session:
        cart = _cart_for_api(session, token)
        return cart.token if cart else None


def _priced_out(token: str | None) -> CartOut:
    return _out(carts.priced(services().db, token, offer_source()))


def _out(priced: carts.PricedCart | None) -> CartOut:
    if priced is None:
        return CartOut(
            currency=None, lines=[], subtotal=0, count=0, notices=[], can_check_out=False
        )
    return CartOut(
        currency=priced.currency,
        subtotal=priced.subtotal,
        count=priced.count,
        notices=priced.notices,
        can_check_out=priced.can_check_out,
        lines=[
            CartLineOut(
                item_id=ln.item_id,
                product_id=ln.product_id,
                variant_key=ln.variant_key,
                title=ln.offer.label if ln.offer else None,
                quantity=ln.quantity,
                unit_amount=ln.unit_amount,
                line_amount=ln.line_amount,
                purchasable=ln.purchasable,
                notices=ln.notices,
            )
            for ln in priced.lines
        ],
    )


@v1.get(
    "/cart", response=CartOut, access="customer", summary="Your cart, priced now", tags=["cart"]
)
def get_cart() -> CartOut:
    require_user()
    return _priced_out(_api_token())


@v1.post(
    "/cart/items",
    body=AddItem,
    response=CartOut,
    status=201,
    access="customer",
    errors=[409],
    summary="Add a shirt to your cart",
    tags=["cart"],
)
def add_cart_item(body: AddItem) -> CartOut:
    require_user()
    offer = (
        offer_source()
        .offers([(body.product_id, body.variant_key)])
        .get((body.product_id, body.variant_key))
    )
    if offer is None:
        raise Conflict("That shirt is not for sale.", code="not_for_sale")
    token = cart_token()
    with services().db.session_scope(write=True) as session:
        cart = _cart_for_api(session, token, create=True)
        assert cart is not None  # create=True makes one or raises
        try:
            carts.add_item(session, cart, offer, body.quantity)
        except carts.CartError as exc:
            raise Conflict(str(exc), code="cart_refused") from exc
        token = cart.token
    return _priced_out(token)


@v1.patch(
    "/cart/items/<int:item_id>",
    body=SetQuantity,
    response=CartOut,
    access="customer",
    errors=[404, 409],
    summary="Change a quantity (0 removes the line)",
    tags=["cart"],
)
def update_cart_item(item_id: int, body: SetQuantity) -> CartOut:
    require_user()
    token = cart_token()
    with services().db.session_scope(write=True) as session:
        cart = _cart_for_api(session, token)
        if cart is None:
            raise NotFound("Your cart is empty.")
        try:
            carts.set_quantity(session, cart, item_id, body.quantity)
        except carts.CartError as exc:
            raise NotFound(str(exc)) from exc
        token = cart.token
    return _priced_out(token)


@v1.post(
    "/checkout",
    body=CheckoutIn,
    response=CheckoutOut,
    status=201,
    access="customer",
    errors=[409],
    limit="20/minute",
    summary="Place the order from your cart; pay at redirect_url",
    tags=["checkout"],
)
def start_checkout(body: CheckoutIn) -> CheckoutOut:
    user = require_user()
    details = body
    problems = details.address_errors()
    if problems:
        raise ValidationFailed(
            "The address would be refused by the printer: " + " ".join(problems.values()),
            details=[{"field": k, "message": v} for k, v in problems.items()],
        )
    token = _api_token()
    g.cart_token = token
    try:
        placed = checkout.place_order(
            services().db,
            cart_token=token,
            details=details,
            offers=offer_source(),
            shipping_options=shipping_options(details.country, "EUR"),
            customer_id=user.id,
        )
    except checkout.CheckoutError as exc:
        raise Conflict(str(exc), code="checkout_refused") from exc
    found = services()
    url = start_payment(found.db, found.gateways, placed.order_id, order=placed.order)
    return CheckoutOut(order_number=placed.number, redirect_url=url, created=placed.created)
