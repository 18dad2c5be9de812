"""A small in-process catalog for checkout unit tests (the real one reads the content lake)."""

from collections.abc import Iterable
from dataclasses import replace

from storefront.catalog.markets import LEGACY, Market, market_for_country
from storefront.catalog.offers import Offer, OfferKey
from storefront.checkout.schemas import CheckoutDetails

TEE = Offer(
    product_id="product-compost",
    variant_key="black-m",
    slug="compost-happens",
    title="Compost Happens",
    size="M",
    colour="Black",
    product_uid="uid-black-m",
    unit_amount=2900,
    currency="EUR",
    available=True,
    print_files={"front": "http://lake/front.png"},
)
LIMITED = replace(
    TEE,
    product_id="product-last",
    variant_key="bone-l",
    title="Last Of Its Kind",
    size="L",
    colour="Bone",
    product_uid="uid-bone-l",
    limited_quantity=5,
)


class Catalog:
    def __init__(self, *offers: Offer) -> None:
        self.items = {o.key: o for o in offers}

    def offers(self, keys: Iterable[OfferKey]) -> dict[OfferKey, Offer]:
        return {k: self.items[k] for k in keys if k in self.items}

    # One market of the offers' own currency (the real catalog's legacy market).
    def markets(self) -> tuple[Market, ...]:
        return ()

    def market_for(self, country: str | None) -> Market:
        return market_for_country((), country) if country else LEGACY

    def in_market(self, market: Market | None) -> "Catalog":
        return self


def details(**overrides: str) -> CheckoutDetails:
    values = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address_line1": "Kastanienallee 1",
        "city": "Berlin",
        "post_code": "10435",
        "country": "DE",
        "shipping_method": "normal",
        "provider": "stripe",
        "checkout_key": "k" * 20,
    }
    values.update(overrides)
    return CheckoutDetails.model_validate(values)
