"""The one split of money: parts sum to the whole, to the cent, with awkward numbers."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.discounts.prorata import split_pro_rata, split_refund


def test_a_cent_that_does_not_divide_goes_to_the_largest_remainder() -> None:
    assert split_pro_rata(100, [1, 1, 1]) == [34, 33, 33]
    assert split_pro_rata(1000, [333, 333, 334]) == [333, 333, 334]
    assert split_pro_rata(7, [2999, 1, 1]) == [7, 0, 0]
    assert split_pro_rata(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        split_pro_rata(1, [0, 0])


def test_a_partial_refund_takes_back_its_share_of_the_discount() -> None:
    # Three shirts at 29.99, 19.99, 9.99 with 10.01 off, shipping 4.95 undiscounted.
    gross = [2999, 1999, 999, 495]
    discount = [501, 334, 166, 0]
    paid_total = sum(gross) - sum(discount)  # 5491
    split = split_refund(1733, gross, discount)
    assert sum(split.paid) == 1733
    # 1001 × 1733 / 5491 = 315.93… → 316 of the discount goes back with the refund.
    assert split.discount_total == 316
    assert list(split.gross) == [p + d for p, d in zip(split.paid, split.discount, strict=False)]
    assert all(d <= limit for d, limit in zip(split.discount, discount, strict=False))
    full = split_refund(paid_total, gross, discount)
    assert (
        full.paid == [g - d for g, d in zip(gross, discount, strict=False)]
        and full.discount == discount
    )


@given(
    st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 100)), min_size=1, max_size=8),
    st.data(),
)
def test_sums_are_exact_for_any_parts(parts: list[tuple[int, int]], data: st.DataObject) -> None:
    gross = [g for g, _ in parts]
    discount = [g * pct // 100 for g, pct in parts]
    paid = sum(gross) - sum(discount)
    refund = data.draw(st.integers(0, paid))
    split = split_refund(refund, gross, discount)
    assert sum(split.paid) == refund
    assert all(0 <= p <= g - d for p, g, d in zip(split.paid, gross, discount, strict=False))
    expected = Fraction(sum(discount) * refund, paid) if paid else Fraction(0)
    assert abs(split.discount_total - expected) <= Fraction(1, 2)
    assert all(d >= 0 for d in split.discount)
