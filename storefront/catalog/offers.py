"""What the cart and checkout need to know about a sellable variant, resolved server-side.

An :class:`Offer` is built from the catalog (Sanity, through GROQ and the cache) on every
cart view and at checkout; prices sent by a client are never used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

OfferKey = tuple[str, str]  # (product id, variant key)


@dataclass(frozen=True)
class Offer:
    product_id: str
    variant_key: str
    slug: str
    title: str
    size: str
    colour: str
    product_uid: str
    unit_amount: int
    currency: str
    available: bool
    limited_quantity: int | None = None
    image_url: str | None = None
    print_files: dict[str, str] = field(default_factory=dict)
    #: Slugs of the collections (categories) the product is in: what discount codes target.
    collections: tuple[str, ...] = ()

    @property
    def key(self) -> OfferKey:
        return (self.product_id, self.variant_key)

    @property
    def label(self) -> str:
        return f"{self.title} — {self.colour}, {self.size}"


class OfferSource(Protocol):
    def offers(self, keys: Iterable[OfferKey]) -> dict[OfferKey, Offer]:
        """Current offers for the keys; a key missing from the result is not for sale."""
        ...
