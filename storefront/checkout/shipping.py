"""Shipping methods and prices: Gelato's quote when it answers, this table when it does not.

The table is the configured fallback (and the only source until the fulfillment quote is
wired in): prices in minor units of the shop currency, by destination zone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShippingOption:
    id: str
    name: str
    amount: int
    currency: str
    min_days: int
    max_days: int
    source: str = "table"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.min_days}–{self.max_days} working days)"


EU = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

#: zone -> [(method id, name, amount in cents, min days, max days)]
FALLBACK_TABLE: dict[str, list[tuple[str, str, int, int, int]]] = {
    "EU": [("normal", "Standard", 495, 3, 6), ("express", "Express", 1295, 1, 3)],
    "GB": [("normal", "Standard", 595, 3, 7), ("express", "Express", 1495, 1, 3)],
    "US": [("normal", "Standard", 695, 4, 8), ("express", "Express", 1695, 2, 4)],
    "ROW": [("normal", "Standard", 995, 6, 14)],
}


def zone(country: str) -> str:
    country = country.upper()
    if country in EU:
        return "EU"
    if country in ("GB", "US"):
        return country
    return "ROW"


def table_options(country: str, currency: str) -> list[ShippingOption]:
    return [
        ShippingOption(mid, name, amount, currency, lo, hi)
        for mid, name, amount, lo, hi in FALLBACK_TABLE[zone(country)]
    ]


def find_option(options: list[ShippingOption], method_id: str | None) -> ShippingOption | None:
    return next((o for o in options if o.id == method_id), None)
