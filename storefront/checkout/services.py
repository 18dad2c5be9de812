"""Placing an order: one transaction re-prices the cart, snapshots prices, reserves stock.

The order starts in ``pending_payment``. Talking to the payment provider happens after the
commit (never while holding the database's write lock), and is idempotent per order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.cart import services as carts
from storefront.catalog.offers import OfferSource
from storefront.checkout.schemas import CheckoutDetails
from storefront.checkout.shipping import ShippingOption, find_option
from storefront.db import Database, utcnow
from storefront.gelato.address import normalized
from storefront.orders.models import Order, OrderItem
from storefront.orders.numbers import new_order_number
from storefront.orders.states import OrderStatus, record_event
from storefront.stock import services as stock

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


def place_order(
    db: Database,
    *,
    cart_token: str | None,
    details: CheckoutDetails,
    offers: OfferSource,
    shipping_options: list[ShippingOption],
    customer_id: int | None = None,
    priced: carts.PricedCart | None = None,
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
    basket = sorted((line.product_id, line.variant_key, line.quantity) for line in priced.lines)

    with db.session_scope(write=True) as session:
        existing = _by_checkout_key(session, details.checkout_key)
        if existing is not None:
            return Placed(existing.id, existing.number, created=False)
        if carts.basket(session, cart_token) != basket:
            raise CheckoutError(
                "Your cart changed in another tab while you were checking out; "
                "please review it and pay again."
            )
        expires_at = utcnow() + PAYMENT_WINDOW
        order = Order(
            number=new_order_number(),
            customer_id=customer_id,
            email=str(details.email).lower(),
            status=OrderStatus.PENDING_PAYMENT,
            currency=priced.currency or option.currency,
            subtotal_amount=priced.subtotal,
            shipping_amount=option.amount,
            total_amount=priced.subtotal + option.amount,
            shipping_method=option.id,
            shipping_label=option.label[:128],
            shipping_address=asdict(address),
            payment_provider=details.provider,
            cart_id=priced.cart_id,
            checkout_key=details.checkout_key,
            payment_expires_at=expires_at,
            items=[],
        )
        session.add(order)
        session.flush()
        for line in priced.lines:
            offer = line.offer
            assert offer is not None and line.unit_amount is not None
            order.items.append(
                OrderItem(
                    order_id=order.id,
                    product_id=offer.product_id,
                    variant_key=offer.variant_key,
                    product_uid=offer.product_uid,
                    title=offer.title,
                    size=offer.size,
                    colour=offer.colour,
                    unit_amount=line.unit_amount,
                    quantity=line.quantity,
                    line_amount=line.line_amount,
                    currency=offer.currency,
                    print_files=dict(offer.print_files),
                )
            )
            if offer.limited_quantity is not None:
                try:
                    stock.reserve(
                        session,
                        order.id,
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
        record_event(
            session,
            order,
            "created",
            actor=f"customer:{customer_id or 'guest'}",
            data={
                "total": order.total_amount,
                "currency": order.currency,
                "provider": details.provider,
            },
        )
        return Placed(order.id, order.number, created=True, order=order)


def _by_checkout_key(session: Session, key: str) -> Order | None:
    return session.execute(select(Order).where(Order.checkout_key == key)).scalar_one_or_none()


def load_order(session: Session, number: str) -> Order | None:
    return session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
