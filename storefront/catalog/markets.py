"""Markets: where the shop sells and in which currency, read from the content.

The market follows the shipping country: each ``market`` document lists its countries, and a
country belongs to the first market (by ``order``) that lists it. A content set without any
market (an older dataset) sells everywhere in its products' own currency: one implicit
market, :data:`LEGACY`, matches every country and prices with each product's ``basePrice``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storefront.money import CurrencyError, normalise_currency


class UnknownCountry(ValueError):
    """No market sells to the country; the message names it and says where the shop ships."""


@dataclass(frozen=True)
class Market:
    code: str
    title: str
    currency: str
    countries: tuple[str, ...] = ()

    @property
    def is_legacy(self) -> bool:
        return self is LEGACY or self.code == LEGACY.code

    def as_pricing(self) -> dict[str, str]:
        """What ``cms_schema.pricing.market_variant_price`` reads."""
        return {"code": self.code, "currency": self.currency}


#: The one market of a content set without market documents (see the module docstring).
LEGACY = Market("*", "Everywhere", "EUR")


def markets_from(raws: Iterable[Mapping[str, Any]]) -> tuple[Market, ...]:
    """The market documents as :class:`Market`s; a malformed one is left out (the Studio
    refuses it), so a bad document never takes the shop down."""
    out: list[Market] = []
    for raw in raws:
        try:
            currency = normalise_currency(str(raw.get("currency") or ""))
        except CurrencyError:
            continue
        code = str(raw.get("code") or "")
        if not code:
            continue
        countries = tuple(str(c).upper() for c in raw.get("countries") or [] if c)
        out.append(Market(code, str(raw.get("title") or code), currency, countries))
    return tuple(out)


def market_for_country(markets: tuple[Market, ...], country: str) -> Market:
    """The market that sells to ``country`` (ISO 3166-1 alpha-2)."""
    code = (country or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise UnknownCountry(f"{country!r} is not a country code: use two letters, e.g. DE or GB")
    if not markets:
        return LEGACY
    for market in markets:
        if code in market.countries:
            return market
    known = ", ".join(sorted({c for m in markets for c in m.countries}))
    raise UnknownCountry(f"We do not ship to {code}. Countries we ship to: {known}.")


def market_by_code(markets: tuple[Market, ...], code: str) -> Market | None:
    return next((m for m in markets if m.code == code), None)


def default_market(markets: tuple[Market, ...]) -> Market:
    """The market of a visitor who has not chosen a country: the first one."""
    return markets[0] if markets else LEGACY
