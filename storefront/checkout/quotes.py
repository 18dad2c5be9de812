"""Shipping methods and prices at checkout from Gelato's quote, cached briefly.

Gelato quotes per production hub; one hub gives its methods directly. Anything else (a
split, an error, a timeout) falls back to the configured table in ``checkout.shipping``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from storefront.cart.services import PricedCart
from storefront.checkout.shipping import ShippingOption
from storefront.gelato.address import ShippingAddress
from storefront.gelato.client import GelatoClient
from storefront.gelato.types import QuoteProduct

TTL = 300.0


class QuoteCache:
    def __init__(
        self, gelato: GelatoClient, *, ttl: float = TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.gelato, self.ttl, self.clock = gelato, ttl, clock
        self._entries: dict[
            tuple[str, str, tuple[tuple[str, int], ...]], tuple[float, list[ShippingOption]]
        ] = {}
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self, country: str, currency: str, cart: PricedCart) -> list[ShippingOption]:
        items = tuple(
            sorted(
                (line.offer.product_uid, line.quantity)
                for line in cart.lines
                if line.offer is not None and line.purchasable
            )
        )
        if not items:
            return []
        key = (country.upper(), currency.upper(), items)
        now = self.clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        options = self._quote(country, currency, items)
        with self._lock:
            self._entries[key] = (now + self.ttl, options)
        return options

    def _quote(
        self, country: str, currency: str, items: tuple[tuple[str, int], ...]
    ) -> list[ShippingOption]:
        self.calls += 1
        # A quote only needs the destination country; the rest of the address is a stand-in.
        recipient = ShippingAddress(
            first_name="Quote",
            last_name="Only",
            address_line1="Quote street 1",
            city="Quote",
            post_code="00000",
            country=country.upper(),
            email="quote@storefront.invalid",
            state="CA" if country.upper() in ("US", "CA", "AU") else "",
        )
        products = [
            QuoteProduct(item_reference_id=f"q{i}", product_uid=uid, quantity=qty)
            for i, (uid, qty) in enumerate(items)
        ]
        quotes = self.gelato.quote(recipient, products, currency.upper(), interactive=True)
        if len(quotes) != 1:
            return []  # split across hubs: the table prices it more simply
        return [
            ShippingOption(
                id=m.shipment_method_uid,
                name=m.name,
                amount=m.price,
                currency=m.currency.upper(),
                min_days=m.min_delivery_days or 2,
                max_days=m.max_delivery_days or 10,
                source="gelato",
            )
            for m in sorted(quotes[0].shipment_methods, key=lambda m: m.price)
            if m.currency.upper() == currency.upper()
        ]
