"""Checkout pages: details form, place the order, hand over to Stripe or PayPal, come back.

Works without JavaScript: changing the country re-renders the shipping options through an
ordinary form submit ("Update shipping").
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import (
    Blueprint,
    Flask,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy import select

from storefront.cart import services as carts
from storefront.checkout import services as checkout
from storefront.checkout.schemas import CheckoutDetails
from storefront.checkout.shipping import ShippingOption, table_options
from storefront.checkout.tax import TaxError, checkout_vat
from storefront.circuit import circuit_open
from storefront.container import services
from storefront.countries import country_code
from storefront.discounts import services as discounts
from storefront.discounts.rules import DiscountRefused
from storefront.errors import BadRequest, NotFound
from storefront.gateways.port import PaymentError
from storefront.orders.links import order_path, order_url, token_matches
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from storefront.payments import confirmation as payments
from storefront.payments.flow import apply_status, latest_ref, start_payment
from storefront.web.auth import access, current_user
from storefront.web.forms import field_errors
from storefront.web.security import limiter
from storefront.web.shop import market
from storefront.web.shop.addresses import default_address_form
from storefront.web.shop.cart import cart_token

log = logging.getLogger(__name__)
bp = Blueprint("checkout", __name__)


def shipping_options(
    country: str, currency: str, priced: carts.PricedCart | None = None
) -> list[ShippingOption]:
    quoter = services().quotes
    if priced is not None:
        try:
            options = quoter(country, currency, priced)
            if options:
                return options
        except Exception as exc:  # the quote is a nicety; the table always answers
            # One line, no traceback; while Gelato's circuit is open, nothing per request
            # (the breaker logs when it opens and closes).
            if not circuit_open(exc):
                log.warning("shipping quote failed, using the table: %s", exc)
    return table_options(country, currency)


def _priced(country: str) -> carts.PricedCart | None:
    """The cart priced in the market of ``country`` (the shipping country decides)."""
    offers = market.offer_source(market.market_for_country(country))
    priced = carts.priced(services().db, cart_token(), offers)
    return priced if priced is not None and not priced.is_empty else None


def _default_country() -> str:
    """The visitor's chosen country, else the seller's when its market is the visitor's,
    else the first country of their market."""
    chosen = market.current_country()
    if chosen:
        return chosen
    here, home = market.current_market(), services().settings.seller_country
    if home in here.countries or not here.countries:
        return home
    return here.countries[0]


def _render(
    priced: carts.PricedCart, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    country = country_code(form.get("country")) or _default_country()
    currency = priced.currency or market.current_market().currency
    options = shipping_options(country, currency, priced)
    chosen = next((o for o in options if o.id == form.get("shipping_method")), options[0])
    discount = None
    if form.get("discount_code", "").strip():
        try:
            with services().db.session_scope() as session:
                discount = discounts.check(
                    session,
                    form["discount_code"],
                    lines=checkout.discount_lines(priced),
                    currency=currency,
                    shipping=chosen.amount,
                    customer_key=form.get("email") or None,
                )
        except DiscountRefused as exc:
            errors = {**errors, "discount_code": f"{exc} You can pay without it."}
    vat = None
    try:
        # VAT on what the shopper pays: after the discount, as the order will keep it.
        vat = checkout_vat(
            country,
            currency,
            subtotal=priced.subtotal - (discount.goods if discount else 0),
            shipping=chosen.amount - (discount.shipping if discount else 0),
            seller=services().settings.seller_vat,
        )
    except TaxError as exc:
        errors = {"country": str(exc), **errors}
        status = max(status, 422)
    return render_template(
        "checkout/checkout.html",
        cart=priced,
        form=form,
        errors=errors,
        options=options,
        chosen=chosen,
        countries=market.shipping_choices(),
        discount=discount,
        total=priced.subtotal + chosen.amount - (discount.total if discount else 0),
        vat=vat,
    ), status


def _empty_cart() -> ResponseReturnValue:
    flash("Your cart is empty — add a shirt before checking out.")
    return redirect(url_for("cart.view"), 303)


@bp.get("/checkout")
@access("public")
def start() -> ResponseReturnValue:
    country = _default_country()
    priced = _priced(country)
    if priced is None:
        return _empty_cart()
    user = current_user()
    form = {
        "checkout_key": secrets.token_urlsafe(18),
        "country": country,
        "email": user.email if user else "",
    }
    if user is not None:
        form.update(default_address_form(user.id))
    return _render(priced, form, {})


@bp.post("/checkout")
@access("public")
@limiter.limit("20/minute")
def submit() -> ResponseReturnValue:
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
    form["country"] = country_code(form.get("country")) or form.get("country", "")
    country = form["country"] or _default_country()
    try:
        priced = _priced(country)
    except BadRequest as exc:  # a country no market sells to: say so next to the field
        priced = _priced(_default_country())
        if priced is None:
            return _empty_cart()
        if country_code(country):
            form["country"] = _default_country()
            return _render(priced, form, {"country": exc.message}, 422)
        # Not a country at all: the form's checks below say so, with the other fields.
        country = _default_country()
    if priced is None:
        return _empty_cart()
    if form.get("action") == "update":
        return _follow(country, _render(priced, form, {}))
    try:
        details = CheckoutDetails.model_validate(form)
    except ValidationError as exc:
        return _render(
            priced, form, {**CheckoutDetails.limits_errors(form), **field_errors(exc)}, 422
        )
    errors = details.form_errors(market.shipping_countries())
    if errors:
        return _render(priced, form, errors, 422)
    destination = market.market_for_country(details.country)
    offers = market.offer_source(destination)
    options = shipping_options(details.country, priced.currency or destination.currency, priced)
    user = current_user()
    try:
        placed = checkout.place_order(
            services().db,
            cart_token=cart_token(),
            details=details,
            offers=offers,
            shipping_options=options,
            customer_id=user.id if user else None,
            priced=priced,
            seller=services().settings.seller_vat,
        )
    except checkout.CheckoutError as exc:
        again = _priced(details.country) or priced
        return _follow(details.country, _render(again, form, {"form": str(exc)}, 409))
    if placed.discount_notice:
        flash(f"{placed.discount_notice} Your order was placed without it.")
    found = services()
    url = start_payment(found.db, found.gateways, placed.order_id, order=placed.order)
    return _follow(details.country, redirect(url, 303))


def _follow(country: str, answer: ResponseReturnValue) -> ResponseReturnValue:
    """The rest of the shop follows the shipping country chosen at checkout."""
    response = make_response(answer)
    market.remember_country(response, country)
    return response


def _order_for_return(number: str) -> Order:
    with services().db.session_scope() as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
    if order is None or not token_matches(number, request.args.get("t")):
        raise NotFound("We could not find that order. Use the link from your e-mail.")
    return order


@bp.get("/checkout/return/<provider>")
@access("public")
def returned(provider: str) -> ResponseReturnValue:
    """Back from the provider: ask it (never trust the redirect) and confirm if paid."""
    order = _order_for_return(request.args.get("order", ""))
    db = services().db
    with db.session_scope(write=order.status == OrderStatus.PENDING_PAYMENT) as session:
        ref = latest_ref(session, order.id, provider)
        if ref is not None and order.status == OrderStatus.PENDING_PAYMENT:
            # Should the provider not answer now, the payments job asks at its next run.
            payments.note_approved(session, provider, ref)
    if ref is not None and order.status == OrderStatus.PENDING_PAYMENT:
        try:
            gw = services().gateways.get(provider)
            status = gw.capture(ref) if provider == "paypal" else gw.get_status(ref)
        except PaymentError as exc:
            log.warning("return page could not ask %s about %s: %s", provider, ref, exc)
            status = None
        if status is not None:
            apply_status(
                services().db,
                order.id,
                status,
                actor=f"return:{provider}",
                order_link=order_url,
            )
    return redirect(order_path(order.number), 303)


@bp.get("/checkout/cancelled")
@access("public")
def cancelled() -> ResponseReturnValue:
    """The shopper backed out at the provider: cancel the attempt, give the stock back."""
    order = _order_for_return(request.args.get("order", ""))
    db = services().db
    with db.session_scope() as session:
        ref = latest_ref(session, order.id, "stripe")
    if ref is not None:
        try:  # so a payment finished in another tab cannot land on a cancelled order
            services().gateways.get("stripe").expire(ref)
        except PaymentError as exc:
            log.info("could not expire Stripe session %s: %s", ref, exc)
    with db.session_scope(write=True) as session:
        payments.expire_order(
            session, order.id, actor="customer", reason="payment cancelled by the shopper"
        )
    flash("Payment cancelled — nothing was charged. Your cart is still here.")
    return redirect(url_for("cart.view"), 303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
