"""The VAT of a checkout: the one call checkout page, order and API make (``storefront.vat``
holds the rule and the rates)."""

from __future__ import annotations

from storefront.money import Money
from storefront.vat import SellerVat, VatBreakdown, VatError, breakdown


class TaxError(ValueError):
    """The VAT cannot be worked out for this destination and currency; the message says why."""


def checkout_vat(
    country: str, currency: str, *, subtotal: int, shipping: int, seller: SellerVat
) -> VatBreakdown:
    """The VAT inside a cart's ``subtotal`` plus ``shipping`` (gross, minor units of
    ``currency``) sent to ``country``."""
    try:
        return breakdown(
            country,
            seller,
            goods_gross=Money(subtotal, currency),
            shipping_gross=Money(shipping, currency),
        )
    except VatError as exc:
        raise TaxError(str(exc)) from exc
