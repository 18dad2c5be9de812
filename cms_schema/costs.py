"""What Gelato charges us per shirt (minor units, EUR): the floor under our margin rule."""

from __future__ import annotations

import math

#: Base production cost by Gelato product family, front print only.
BASE_COST = {"crewneck-unisex-classic": 1150, "crewneck-unisex-heavyweight": 1450}
#: Extra for a back print (productUid ``gpr_4-4``).
BACK_PRINT_COST = 400
#: Extra for the bigger sizes.
SIZE_COST = {"2XL": 250, "3XL": 350}
DEFAULT_MIN_MARGIN_PERCENT = 60


def production_cost(family: str, size: str, *, back_print: bool) -> int:
    return (
        BASE_COST.get(family, max(BASE_COST.values()))
        + SIZE_COST.get(size, 0)
        + (BACK_PRINT_COST if back_print else 0)
    )


def minimum_price(cost: int, margin_percent: float) -> int:
    """The lowest price that keeps ``margin_percent`` over ``cost``, rounded half up as the
    Studio's ``Math.round`` does (Python's ``round`` would round half to even)."""
    return math.floor(cost * (1 + margin_percent / 100) + 0.5)
