"""The browser walks spot a wrapped amount by this pattern: it must know every form in which
the shop writes money, or a broken "A$12.00" would pass unseen."""

import re

import pytest

from storefront.money import SYMBOLS, format_money
from tests.browser.checks import AMOUNT_PATTERN

AMOUNT = re.compile(AMOUNT_PATTERN)


@pytest.mark.parametrize("currency", [*SYMBOLS, "SEK", "CHF"])
@pytest.mark.parametrize("minor", [0, 500, 2900, 123456789, -550])
def test_every_amount_the_shop_writes_is_recognised(currency: str, minor: int) -> None:
    assert AMOUNT.match(format_money(minor, currency)), format_money(minor, currency)


@pytest.mark.parametrize(
    "text", ["2", "Standard shipping", "€29.00 each", "2 × €29.00", "A$", "Order 1024"]
)
def test_other_cells_are_not_amounts(text: str) -> None:
    assert AMOUNT.match(text) is None
