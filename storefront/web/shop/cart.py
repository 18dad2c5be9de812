"""Cart pages: view (re-priced on every view), add, change quantity, remove.

The cart lives in the database; the browser holds only a signed cookie with its token.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from storefront.cart import services as carts
from storefront.cart.models import Cart, CartItem, CartStatus
from storefront.catalog.offers import OfferSource
from storefront.container import services
from storefront.errors import BadRequest, Conflict
from storefront.signing import InvalidToken, make_token, read_token
from storefront.web.auth import access, current_user
from storefront.web.forms import error_details
from storefront.web.shop import market

bp = Blueprint("cart", __name__)
COOKIE = "sf_cart"
COOKIE_AGE = 60 * 24 * 3600


class AddItem(BaseModel):
    product_id: str = Field(min_length=1, max_length=128)
    variant_key: str = Field(min_length=1, max_length=128)
    quantity: int = Field(1, ge=1, le=carts.MAX_LINE_QUANTITY)


class SetQuantity(BaseModel):
    quantity: int = Field(ge=0, le=carts.MAX_LINE_QUANTITY)


def offer_source() -> OfferSource:
    """The catalog priced in the visitor's market (:mod:`storefront.web.shop.market`)."""
    return market.offer_source()


def cart_token() -> str | None:
    """The cart token from the signed cookie (or the logged-in customer's cart).

    A visitor's signed token is trusted as it is: every use loads the cart by token *and*
    ``status == "open"``, so a checked-out or merged cart simply reads as empty. Only a
    logged-in customer needs the database here, to fall back to their own open cart.
    """
    if "cart_token" in g:
        remembered: str | None = g.cart_token
        return remembered
    token = None
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            token = read_token("cart", raw)
        except InvalidToken:
            token = None
    user = current_user()
    if user is None:
        g.cart_token = token
        return token
    with services().db.session_scope() as session:
        if token is not None and carts.load_cart(session, token) is None:
            token = None  # checked out or merged into an account's cart
        if token is None and user is not None:
            cart = carts.cart_for_customer(session, user.id)
            token = cart.token if cart else None
    g.cart_token = token
    return token


def remember_cart(response: Response, token: str) -> Response:
    settings = services().settings
    response.set_cookie(
        COOKIE,
        make_token("cart", token),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.base_url.startswith("https://"),
    )
    return response


def _parse(model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(request.form.to_dict())
    except ValidationError as exc:
        raise BadRequest(
            "Choose a size, colour and quantity.", code="invalid_form", details=error_details(exc)
        ) from exc


@bp.get("/cart")
@access("public")
def view() -> ResponseReturnValue:
    priced = carts.priced(services().db, cart_token(), offer_source())
    return render_template("cart/cart.html", cart=priced)


@bp.post("/cart/add")
@access("public")
def add() -> ResponseReturnValue:
    form = _parse(AddItem)
    offer = (
        offer_source()
        .offers([(form.product_id, form.variant_key)])
        .get((form.product_id, form.variant_key))
    )
    if offer is None:
        raise Conflict("That shirt is not for sale any more.", code="not_for_sale")
    user = current_user()
    token = cart_token()
    with services().db.session_scope(write=True) as session:
        cart = carts.load_cart(session, token)
        if cart is None:
            cart = carts.create_cart(session, offer.currency, customer_id=user.id if user else None)
        try:
            carts.add_item(session, cart, offer, form.quantity)
        except carts.CartError as exc:
            raise Conflict(str(exc), code="cart_refused") from exc
        token = cart.token
    flash(f"Added {form.quantity} × {offer.label} to your cart.")
    return remember_cart(redirect(url_for("cart.view"), 303), token)


def _change(item_id: int, quantity: int) -> ResponseReturnValue:
    token = cart_token()
    with services().db.session_scope(write=True) as session:
        cart = carts.load_cart(session, token)
        if cart is None:
            raise Conflict("Your cart is empty.", code="cart_empty")
        try:
            carts.set_quantity(session, cart, item_id, quantity)
        except carts.CartError as exc:
            raise Conflict(str(exc), code="cart_refused") from exc
    return redirect(url_for("cart.view"), 303)


@bp.post("/cart/items/<int:item_id>")
@access("public")
def update(item_id: int) -> ResponseReturnValue:
    return _change(item_id, _parse(SetQuantity).quantity)


@bp.post("/cart/items/<int:item_id>/remove")
@access("public")
def remove(item_id: int) -> ResponseReturnValue:
    return _change(item_id, 0)


def cart_count() -> int:
    """Shirts in the cart, for the header (one cheap query, no re-pricing)."""
    token = cart_token()
    if not token:
        return 0
    with services().db.session_scope() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(CartItem.quantity), 0))
            .join(Cart, Cart.id == CartItem.cart_id)
            .where(Cart.token == token, Cart.status == CartStatus.OPEN)
        )
    return int(total or 0)


def merge_on_login(customer_id: int) -> None:
    """Login hook: fold the guest cart from the cookie into the customer's open cart."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return
    try:
        guest_token = read_token("cart", raw)
    except InvalidToken:
        return
    with services().db.session_scope(write=True) as session:
        guest = carts.load_cart(session, guest_token)
        if guest is None or guest.customer_id == customer_id:
            if guest is not None:
                guest.customer_id = customer_id
            return
        mine = carts.cart_for_customer(session, customer_id)
        if mine is None:
            guest.customer_id = customer_id
        else:
            carts.merge_carts(session, guest, mine)
    g.pop("cart_token", None)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _mini_cart() -> dict[str, Any]:
        return {"cart_count": cart_count}
