"""Amounts typed by people (the operator's refund form): a decimal comma is a decimal mark."""

import pytest

from storefront.money import CurrencyError, parse_amount


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("10,50", "EUR", 1050),
        ("10.50", "EUR", 1050),
        ("€ 1.234,50", "EUR", 123450),
        ("1,234.50", "USD", 123450),
        ("1 000,00", "EUR", 100000),
        ("0,5", "EUR", 50),
        ("12", "EUR", 1200),
        ("1.500", "JPY", 1500),
        ("10,50 EUR", "EUR", 1050),
    ],
)
def test_readable_amounts(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("text", ["", "ten", "10,5,0.1.2", "1,005.5.5", "--1"])
def test_unreadable_amounts_are_refused(text: str) -> None:
    with pytest.raises(CurrencyError):
        parse_amount(text, "EUR")
