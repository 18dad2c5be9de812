"""Placing an order: one transaction re-prices the cart, snapshots prices, reserves stock.

The order starts in ``pending_payment``. Talking to the payment provider happens after the
commit (never while holding the database's write lock), and is idempotent per order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.cart import services as carts
from storefront.catalog.offers import OfferSource
from storefront.checkout.schemas import CheckoutDetails
from storefront.checkout.shipping import ShippingOption, find_option
from storefront.checkout.tax import TaxError, checkout_vat
from storefront.db import Database, utcnow
from storefront.discounts import services as discounts
from storefront.discounts.rules import Applied, CartLine, DiscountRefused
from storefront.gelato.address import normalized
from storefront.orders import rows
from storefront.orders.models import Order
from storefront.orders.numbers import new_order_number
from storefront.orders.states import OrderStatus
from storefront.stock import services as stock
from storefront.vat import SellerVat

#: How long a shopper has to pay; limited stock is held that long (Stripe's minimum is 30 min).
PAYMENT_WINDOW = timedelta(minutes=45)


class CheckoutError(Exception):
    """Something the shopper must fix before paying; the message says what."""


@dataclass(frozen=True)
class Placed:
    order_id: int
    number: str
    created: bool
    #: The order as committed, its items loaded (detached: read, don't change it).
    order: Order | None = None
    #: Why the discount code typed was not applied (the order was placed without it).
    discount_notice: str | None = None


def place_order(
    db: Database,
    *,
    cart_token: str | None,
    details: CheckoutDetails,
    offers: OfferSource,
    shipping_options: list[ShippingOption],
    customer_id: int | None = None,
    priced: carts.PricedCart | None = None,
    seller: SellerVat | None = None,
) -> Placed:
    """Create the order from the cart, or return the one this form submission already made.

    Reads first (the cart, then the catalog with no session open; skipped when the caller
    has just priced the cart), then one short write transaction that re-checks the cart,
    creates the order and reserves limited stock.
    """
    if priced is None:
        with db.session_scope() as session:
            existing = _by_checkout_key(session, details.checkout_key)
            cart = None if existing else carts.load_cart(session, cart_token)
        if existing is not None:
            return Placed(existing.id, existing.number, created=False)
        if cart is None or not cart.items:
            raise CheckoutError("Your cart is empty — add a shirt before checking out.")
        priced = carts.price_cart(cart, offers.offers(carts.cart_keys(cart)))
    if priced.is_empty:
        raise CheckoutError("Your cart is empty — add a shirt before checking out.")
    if priced.notices:
        # The change is acknowledged (so the next attempt passes), then refused.
        with db.session_scope(write=True) as session:
            carts.acknowledge_prices(session, priced)
        raise CheckoutError(
            "Your cart changed since you last looked: "
            + " ".join(priced.notices)
            + " Please review it and pay again."
        )
    if not priced.can_check_out:
        problems = [n for line in priced.lines for n in line.notices]
        raise CheckoutError(" ".join(problems) or "Some items cannot be bought right now.")
    option = find_option(shipping_options, details.shipping_method)
    if option is None:
        raise CheckoutError("Choose one of the shipping methods offered for your country.")
    if option.currency != priced.currency:
        raise CheckoutError("Shipping is not available in your cart's currency.")
    address = normalized(details.address())
    currency = priced.currency or option.currency
    try:
        vat = checkout_vat(
            details.country,
            currency,
            subtotal=priced.subtotal,
            shipping=option.amount,
            seller=seller or SellerVat(),
        )
    except TaxError as exc:
        raise CheckoutError(f"We cannot sell to {details.country} in {currency}: {exc}.") from exc
    basket = sorted((line.product_id, line.variant_key, line.quantity) for line in priced.lines)

    with db.session_scope(write=True) as session:
        now = utcnow()
        expires_at = now + PAYMENT_WINDOW
        email = str(details.email).lower()
        applied, notice = _discount(session, details, priced, option.amount, email)
        values: dict[str, Any] = {
            "number": new_order_number(),
            "customer_id": customer_id,
            "email": email,
            "status": OrderStatus.PENDING_PAYMENT,
            "currency": currency,
            "subtotal_amount": priced.subtotal,
            "shipping_amount": option.amount,
            "total_amount": priced.subtotal + option.amount,
            "refunded_amount": 0,
            "discount_code": None,
            "discount_amount": 0,
            "shipping_discount_amount": 0,
            "vat_amount": vat.total_vat.amount,
            "vat_breakdown": vat.as_dict(),
            "shipping_method": option.id,
            "shipping_label": option.label[:128],
            "shipping_address": asdict(address),
            "payment_provider": details.provider,
            "cart_id": priced.cart_id,
            "checkout_key": details.checkout_key,
            "payment_expires_at": expires_at,
            "review_invites": details.review_invites,
            "created_at": now,
            "updated_at": now,
        }
        items = [_item(line) for line in priced.lines]
        try:
            # The checkout key is unique, so a second submission of the same form stops here.
            order_id = rows.insert_order(session, values)
        except IntegrityError:
            session.rollback()
            existing = _by_checkout_key(session, details.checkout_key)
            if existing is None:
                raise
            return Placed(existing.id, existing.number, created=False)
        if carts.basket(session, cart_token) != basket:
            raise CheckoutError(
                "Your cart changed in another tab while you were checking out; "
                "please review it and pay again."
            )
        if applied is not None:
            try:
                discounts.reserve(
                    session, applied, order_id=order_id, customer_key=email, currency=currency
                )
            except DiscountRefused as exc:
                applied, notice = None, str(exc)
        if applied is not None:
            # VAT is on what the shopper pays: the goods and shipping after the discount.
            vat = checkout_vat(
                details.country,
                currency,
                subtotal=priced.subtotal - applied.goods,
                shipping=option.amount - applied.shipping,
                seller=seller or SellerVat(),
            )
            discounted = {
                "discount_code": applied.code,
                "discount_amount": applied.goods,
                "shipping_discount_amount": applied.shipping,
                "total_amount": values["total_amount"] - applied.total,
                "vat_amount": vat.total_vat.amount,
                "vat_breakdown": vat.as_dict(),
                "updated_at": utcnow(),
            }
            rows.update_order(session, order_id, discounted)
            values.update(discounted)
            for item, share in zip(items, applied.per_line, strict=True):
                item["discount_amount"] = share
        event = _created_data(values, details.provider)
        if applied is not None:
            event |= {"discount_code": applied.code, "discount": applied.total}
        rows.insert_items(session, order_id, items)
        rows.insert_event(
            session, order_id, "created", actor=f"customer:{customer_id or 'guest'}", data=event
        )
        for line in priced.lines:
            offer = line.offer
            assert offer is not None
            if offer.limited_quantity is None:
                continue
            try:
                stock.reserve(
                    session,
                    order_id,
                    offer.product_id,
                    offer.variant_key,
                    offer.limited_quantity,
                    line.quantity,
                    offer.label,
                    expires_at,
                )
            except stock.OutOfStock as exc:
                raise CheckoutError(
                    f"{exc.label} just sold out"
                    if exc.left == 0
                    else f"Only {exc.left} of {exc.label} are left; lower the quantity."
                ) from exc
        order = rows.snapshot(order_id, values, items)
        return Placed(order_id, order.number, created=True, order=order, discount_notice=notice)


def _item(line: carts.PricedLine) -> dict[str, Any]:
    """The order's copy of a cart line, at the price the shopper saw."""
    offer = line.offer
    assert offer is not None and line.unit_amount is not None
    return {
        "product_id": offer.product_id,
        "variant_key": offer.variant_key,
        "product_uid": offer.product_uid,
        "title": offer.title,
        "size": offer.size,
        "colour": offer.colour,
        "unit_amount": line.unit_amount,
        "quantity": line.quantity,
        "line_amount": line.line_amount,
        "discount_amount": 0,
        "currency": offer.currency,
        "print_files": dict(offer.print_files),
    }


def _created_data(values: dict[str, Any], provider: str) -> dict[str, object]:
    return {
        "total": values["total_amount"],
        "currency": values["currency"],
        "vat": values["vat_amount"],
        "provider": provider,
    }


def _discount(
    session: Session,
    details: CheckoutDetails,
    priced: carts.PricedCart,
    shipping: int,
    email: str,
) -> tuple[Applied | None, str | None]:
    """The code's effect on this cart, or why it has none (the checkout goes on without)."""
    if not details.discount_code.strip():
        return None, None
    try:
        return (
            discounts.check(
                session,
                details.discount_code,
                lines=discount_lines(priced),
                currency=priced.currency or "",
                shipping=shipping,
                customer_key=email,
            ),
            None,
        )
    except DiscountRefused as exc:
        return None, str(exc)


def discount_lines(priced: carts.PricedCart) -> list[CartLine]:
    return [
        CartLine(line.line_amount, line.offer.collections if line.offer else ())
        for line in priced.lines
    ]


def _by_checkout_key(session: Session, key: str) -> Order | None:
    return session.execute(select(Order).where(Order.checkout_key == key)).scalar_one_or_none()


def load_order(session: Session, number: str) -> Order | None:
    return session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
