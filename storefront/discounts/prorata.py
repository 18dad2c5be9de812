"""Splitting an amount over parts in proportion, exact to the minor unit.

One rule for every split of money in the shop: a discount over the cart's lines, and a
partial refund over what was paid together with its share of the discount. Largest
remainder (Hamilton): each part gets the floor of its exact share, and the units left over
go to the largest fractions (ties: the earlier part), so the parts always sum to the whole
and no part gets more than its exact share rounded up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


def split_pro_rata(amount: int, weights: Sequence[int | Fraction]) -> list[int]:
    """``amount`` split over ``weights``; the result sums to ``amount`` exactly."""
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amounts and weights must not be negative")
    total = sum(weights, Fraction(0))
    if total == 0:
        if amount:
            raise ValueError("cannot split a non-zero amount over zero weights")
        return [0] * len(weights)
    exact = [Fraction(amount) * w / total for w in weights]
    shares = [math.floor(x) for x in exact]
    left = amount - sum(shares)
    by_fraction = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_fraction[:left]:
        shares[i] += 1
    return shares


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


@dataclass(frozen=True)
class RefundSplit:
    #: Per part: the money given back (sums to the refund).
    paid: list[int]
    #: Per part: the share of the discount the refund takes back with it (sums to ``discount``).
    discount: list[int]

    @property
    def gross(self) -> list[int]:
        """Per part: the list price refunded (paid + its discount share)."""
        return [p + d for p, d in zip(self.paid, self.discount, strict=True)]

    @property
    def discount_total(self) -> int:
        return sum(self.discount)


def split_refund(refund: int, gross: Sequence[int], discounts: Sequence[int]) -> RefundSplit:
    """A refund of ``refund`` against parts (lines, shipping) that cost ``gross`` before and
    ``gross - discount`` after the discount: which part of the money and of the discount
    each part takes back. The discount goes back in the refund's proportion of what was paid
    (half the money back → half the discount), rounded half up, then split over the parts
    in proportion to the discount each one had and the share of it being refunded."""
    if len(gross) != len(discounts):
        raise ValueError("one discount per part")
    paid = [g - d for g, d in zip(gross, discounts, strict=True)]
    if any(p < 0 for p in paid):
        raise ValueError("a part's discount exceeds its price")
    total_paid = sum(paid)
    if not 0 <= refund <= total_paid:
        raise ValueError(f"a refund must be between 0 and the {total_paid} paid")
    paid_shares = split_pro_rata(refund, paid)
    discount_total = sum(discounts)
    if refund == 0 or discount_total == 0:
        return RefundSplit(paid_shares, [0] * len(gross))
    back = round_half_up(Fraction(discount_total * refund, total_paid))
    weights = [
        Fraction(d * r, p) if p else Fraction(0)
        for d, r, p in zip(discounts, paid_shares, paid, strict=True)
    ]
    if sum(weights) == 0:  # only fully discounted parts carry the discount
        weights = [Fraction(d) for d in discounts]
    return RefundSplit(paid_shares, split_pro_rata(back, weights))
