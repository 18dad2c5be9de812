"""The server-side cart: add, change, remove, and re-price from the catalog on every view.

Prices always come from the catalog. A line whose variant is no longer for sale, or whose
price changed since the shopper last saw it, is flagged with a message — never silently
dropped and never charged at an old price.

Pricing is a pure function of the cart and the offers (:func:`price_cart`); :func:`priced`
reads the cart, asks the catalog and writes the acknowledged prices in that order, one
database session at a time, so no session (nor SQLite's write lock) is held while the
catalog is asked over the network.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from storefront.cart.models import Cart, CartItem, CartStatus
from storefront.catalog.offers import Offer, OfferKey, OfferSource
from storefront.db import Database
from storefront.money import format_money

MAX_LINE_QUANTITY = 10
MAX_CART_QUANTITY = 30


class CartError(Exception):
    """A change the shopper must be told about (sold out, limits, mixed currencies)."""


@dataclass
class PricedLine:
    item_id: int
    product_id: str
    variant_key: str
    quantity: int
    offer: Offer | None
    unit_amount: int | None
    line_amount: int
    notices: list[str] = field(default_factory=list)

    @property
    def purchasable(self) -> bool:
        return self.offer is not None and self.offer.available


@dataclass
class PricedCart:
    token: str
    currency: str | None
    lines: list[PricedLine]
    subtotal: int
    count: int
    notices: list[str]
    #: The cart's id and, per line whose price changed, the price now shown to the shopper.
    cart_id: int = 0
    seen: dict[int, tuple[int, str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and all(line.purchasable for line in self.lines)


def new_token() -> str:
    return secrets.token_urlsafe(24)


# Built once: every page and every checkout runs these, and building an ORM statement (and
# its cache key) cost as much as running it.
_OPEN_CART = (
    select(Cart)
    .where(Cart.token == bindparam("token"), Cart.status == CartStatus.OPEN)
    .options(joinedload(Cart.items))
)
_BASKET = (
    select(CartItem.product_id, CartItem.variant_key, CartItem.quantity)
    .join(Cart, Cart.id == CartItem.cart_id)
    .where(Cart.token == bindparam("token"), Cart.status == CartStatus.OPEN)
)


def load_cart(session: Session, token: str | None) -> Cart | None:
    if not token:
        return None
    return session.execute(_OPEN_CART, {"token": token}).unique().scalar_one_or_none()


def basket(session: Session, token: str | None) -> list[tuple[str, str, int]]:
    """The open cart's lines as ``(product id, variant key, quantity)``, sorted (one query)."""
    if not token:
        return []
    rows = session.execute(_BASKET, {"token": token}).all()
    return sorted((str(p), str(v), int(q)) for p, v, q in rows)


def cart_for_customer(session: Session, customer_id: int) -> Cart | None:
    return (
        session.execute(
            select(Cart)
            .where(Cart.customer_id == customer_id, Cart.status == CartStatus.OPEN)
            .order_by(Cart.id.desc())
        )
        .scalars()
        .first()
    )


def create_cart(session: Session, currency: str, customer_id: int | None = None) -> Cart:
    cart = Cart(
        token=new_token(), currency=currency, customer_id=customer_id, status=CartStatus.OPEN
    )
    session.add(cart)
    session.flush()
    return cart


def _line(cart: Cart, offer: Offer) -> CartItem | None:
    return next(
        (
            i
            for i in cart.items
            if i.product_id == offer.product_id and i.variant_key == offer.variant_key
        ),
        None,
    )


def _check_totals(cart: Cart, changing: CartItem | None, new_quantity: int) -> None:
    others = sum(i.quantity for i in cart.items if i is not changing)
    if others + new_quantity > MAX_CART_QUANTITY:
        raise CartError(
            f"A cart holds at most {MAX_CART_QUANTITY} shirts. For bigger orders, write to us."
        )


def add_item(session: Session, cart: Cart, offer: Offer, quantity: int = 1) -> CartItem:
    if quantity < 1:
        raise CartError("Choose a quantity of at least 1.")
    if not offer.available:
        raise CartError(f"{offer.label} is sold out right now.")
    # The visitor's market changed: the cart follows it (the other lines are re-priced in
    # the new currency at the next view, with a notice each).
    cart.currency = offer.currency
    item = _line(cart, offer)
    new_quantity = (item.quantity if item else 0) + quantity
    if new_quantity > MAX_LINE_QUANTITY:
        raise CartError(f"You can order at most {MAX_LINE_QUANTITY} of {offer.label}.")
    if offer.limited_quantity is not None and new_quantity > offer.limited_quantity:
        raise CartError(f"Only {offer.limited_quantity} of {offer.label} exist.")
    _check_totals(cart, item, new_quantity)
    if item is None:
        item = CartItem(
            cart=cart,
            product_id=offer.product_id,
            variant_key=offer.variant_key,
            quantity=new_quantity,
            seen_unit_amount=offer.unit_amount,
            seen_currency=offer.currency,
        )
        session.add(item)
    else:
        item.quantity = new_quantity
        item.seen_unit_amount, item.seen_currency = offer.unit_amount, offer.currency
    session.flush()
    return item


def set_quantity(session: Session, cart: Cart, item_id: int, quantity: int) -> None:
    item = next((i for i in cart.items if i.id == item_id), None)
    if item is None:
        raise CartError("That item is no longer in your cart.")
    if quantity <= 0:
        session.delete(item)
        cart.items.remove(item)
        return
    if quantity > MAX_LINE_QUANTITY:
        raise CartError(f"You can order at most {MAX_LINE_QUANTITY} of one shirt.")
    _check_totals(cart, item, quantity)
    item.quantity = quantity


def remove_item(session: Session, cart: Cart, item_id: int) -> None:
    set_quantity(session, cart, item_id, 0)


def cart_keys(cart: Cart) -> list[OfferKey]:
    return [(i.product_id, i.variant_key) for i in cart.items]


def price_cart(cart: Cart, offers: Mapping[OfferKey, Offer]) -> PricedCart:
    """Re-price every line from the catalog's current offers and flag what changed.

    Pure: the changed prices are returned in ``seen``; a cart page view records them with
    :func:`acknowledge_prices` so the notice shows once, while checkout refuses to proceed
    while a notice is pending.
    """
    lines: list[PricedLine] = []
    notices: list[str] = []
    seen: dict[int, tuple[int, str]] = {}
    subtotal = count = 0
    for item in cart.items:
        offer = offers.get((item.product_id, item.variant_key))
        line = PricedLine(item.id, item.product_id, item.variant_key, item.quantity, offer, None, 0)
        if offer is None:
            line.notices.append("This shirt is no longer sold. Remove it to check out.")
        elif not offer.available:
            line.notices.append(f"{offer.label} is sold out right now. Remove it to check out.")
        else:
            if offer.currency != item.seen_currency or offer.unit_amount != item.seen_unit_amount:
                message = (
                    f"The price of {offer.label} changed from "
                    f"{format_money(item.seen_unit_amount, item.seen_currency)} to "
                    f"{format_money(offer.unit_amount, offer.currency)}."
                )
                line.notices.append(message)
                notices.append(message)
                seen[item.id] = (offer.unit_amount, offer.currency)
            if offer.limited_quantity is not None and item.quantity > offer.limited_quantity:
                line.notices.append(f"Only {offer.limited_quantity} of {offer.label} are left.")
            line.unit_amount = offer.unit_amount
            line.line_amount = offer.unit_amount * item.quantity
            subtotal += line.line_amount
            count += item.quantity
        lines.append(line)
    # The offers' currency (all from one market) wins over the one the cart was filled in.
    currency = next((o.currency for o in offers.values()), cart.currency)
    return PricedCart(
        cart.token,
        currency if cart.items else None,
        lines,
        subtotal,
        count,
        notices,
        cart_id=cart.id,
        seen=seen,
    )


def acknowledge_prices(session: Session, priced: PricedCart) -> None:
    """Record the prices the shopper has now been shown (so a change is flagged once)."""
    if not priced.seen:
        return
    items = session.execute(
        select(CartItem).where(
            CartItem.cart_id == priced.cart_id, CartItem.id.in_(list(priced.seen))
        )
    ).scalars()
    for item in items:
        item.seen_unit_amount, item.seen_currency = priced.seen[item.id]


def priced(
    db: Database, token: str | None, source: OfferSource, *, acknowledge: bool = True
) -> PricedCart | None:
    """The open cart of ``token`` priced now; ``None`` when there is none.

    One short read, the catalog asked with no session open, then (a cart page view) one
    short write of the prices shown.
    """
    if not token:
        return None
    with db.session_scope() as session:
        cart = load_cart(session, token)
    if cart is None:
        return None
    result = price_cart(cart, source.offers(cart_keys(cart)))
    if acknowledge and result.seen:
        with db.session_scope(write=True) as session:
            acknowledge_prices(session, result)
    return result


def merge_carts(session: Session, guest: Cart, target: Cart) -> None:
    """Move a guest cart's lines into the customer's cart (on login), within the limits."""
    for item in list(guest.items):
        existing = next(
            (
                i
                for i in target.items
                if i.product_id == item.product_id and i.variant_key == item.variant_key
            ),
            None,
        )
        if existing is not None:
            existing.quantity = min(MAX_LINE_QUANTITY, existing.quantity + item.quantity)
            session.delete(item)
        elif target.currency == guest.currency or not target.items:
            item.cart = target
            target.currency = guest.currency
    guest.status = CartStatus.MERGED


def mark_converted(session: Session, cart_id: int) -> None:
    """The cart's order is paid: it is done (a new visit starts a new cart)."""
    cart = session.get(Cart, cart_id)
    if cart is not None and cart.status == CartStatus.OPEN:
        cart.status = CartStatus.CONVERTED


def reopen(session: Session, cart_id: int) -> None:
    """The cart's order was cancelled before it was paid: the shopper gets the cart back."""
    cart = session.get(Cart, cart_id)
    if cart is not None and cart.status == CartStatus.CONVERTED:
        cart.status = CartStatus.OPEN
