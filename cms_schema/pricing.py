"""The one rule for a variant's price: its own override, else the product's base price plus
the surcharge for its size. Integer minor units, always."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def variant_price(product: Mapping[str, Any], variant: Mapping[str, Any]) -> int:
    override = variant.get("price")
    if isinstance(override, int) and not isinstance(override, bool) and override > 0:
        return override
    base = int(product.get("basePrice") or 0)
    for surcharge in product.get("sizeSurcharges") or []:
        if surcharge.get("size") == variant.get("size"):
            return base + int(surcharge.get("amount") or 0)
    return base
