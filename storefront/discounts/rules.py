"""Whether a code applies to a cart, and what it takes off — computed on the server only.

Pure functions over the code's terms and the cart's lines (prices already resolved from
the catalog); the database work (the use counter) is in :mod:`.services`. Every refusal is
a :class:`DiscountRefused` whose message tells the shopper what is wrong in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storefront.discounts.models import DiscountCode
from storefront.discounts.prorata import split_pro_rata
from storefront.money import format_money

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{2,31}$"


class Kind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"


class DiscountRefused(Exception):
    """The code cannot be used for this cart; the message says why (the shopper reads it)."""


@dataclass(frozen=True)
class CartLine:
    amount: int
    collections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Applied:
    code: str
    code_id: int
    #: Off the goods, and per line (same order as the cart's lines; sums to ``goods``).
    goods: int
    per_line: tuple[int, ...]
    #: Off the shipping price.
    shipping: int

    @property
    def total(self) -> int:
        return self.goods + self.shipping


def normalise_code(text: str) -> str:
    """What a shopper typed → the stored form (``" summer-10 "`` → ``"SUMMER-10"``)."""
    return text.strip().upper()


def is_well_formed(code: str) -> bool:
    return re.fullmatch(CODE_PATTERN, code) is not None


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC")


def evaluate(
    code: DiscountCode,
    *,
    lines: Sequence[CartLine],
    currency: str,
    shipping: int,
    now: datetime,
    customer_uses: int,
) -> Applied:
    """What ``code`` takes off this cart, or :class:`DiscountRefused` saying why not.

    ``customer_uses``: how many of this shopper's orders hold or used the code already.
    The total use limit is checked here for the message, and again atomically when the use
    is reserved (:func:`storefront.discounts.services.reserve`).
    """
    name = code.code
    if code.paused:
        raise DiscountRefused(f"The code {name} is paused at the moment.")
    if code.starts_at is not None and now < code.starts_at:
        raise DiscountRefused(f"The code {name} is valid from {_when(code.starts_at)}.")
    if code.ends_at is not None and now >= code.ends_at:
        raise DiscountRefused(f"The code {name} expired on {_when(code.ends_at)}.")
    if code.max_uses is not None and code.uses >= code.max_uses:
        raise DiscountRefused(f"The code {name} has been used up.")
    if code.max_uses_per_customer is not None and customer_uses >= code.max_uses_per_customer:
        raise DiscountRefused(f"You have already used the code {name}.")
    subtotal = sum(line.amount for line in lines)
    if code.min_subtotal:
        least = code.min_subtotal.get(currency)
        if least is None:
            raise DiscountRefused(f"The code {name} cannot be used for payments in {currency}.")
        if subtotal < least:
            raise DiscountRefused(
                f"The code {name} needs a subtotal of at least {format_money(least, currency)}."
            )
    wanted = set(code.collections or ())
    eligible = [
        line.amount if not wanted or wanted & set(line.collections) else 0 for line in lines
    ]
    if sum(eligible) == 0:
        raise DiscountRefused(
            f"The code {name} applies only to the collections {', '.join(sorted(wanted))}; "
            "nothing in your cart is from them."
        )
    goods, off_shipping = 0, 0
    kind = Kind(code.kind)
    if kind is Kind.PERCENT:
        percent = code.percent or 0
        goods = (sum(eligible) * percent + 50) // 100  # half up, in minor units
    elif kind is Kind.FIXED:
        amount = (code.amounts or {}).get(currency)
        if amount is None:
            raise DiscountRefused(f"The code {name} cannot be used for payments in {currency}.")
        goods = min(amount, sum(eligible))
    else:
        off_shipping = shipping
    return Applied(
        code=name,
        code_id=code.id,
        goods=goods,
        per_line=tuple(split_pro_rata(goods, eligible)),
        shipping=off_shipping,
    )
