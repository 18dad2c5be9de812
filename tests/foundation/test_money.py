from decimal import Decimal

import pytest

from storefront.money import CurrencyError, Money, format_money, from_decimal, to_decimal_string


def test_minor_units_and_decimal_strings() -> None:
    assert to_decimal_string(2750, "EUR") == "27.50"
    assert to_decimal_string(5, "usd") == "0.05"
    assert to_decimal_string(500, "JPY") == "500"
    assert from_decimal("27.50", "EUR") == 2750
    assert from_decimal(Decimal("500"), "JPY") == 500


def test_sub_minor_precision_is_refused() -> None:
    with pytest.raises(CurrencyError):
        from_decimal("1.005", "EUR")
    with pytest.raises(CurrencyError):
        from_decimal("1.5", "JPY")


def test_money_arithmetic_is_exact_and_currency_safe() -> None:
    total = Money(1999, "EUR") * 3 + Money(495, "EUR")
    assert total == Money(6492, "EUR")
    with pytest.raises(CurrencyError):
        Money(1, "EUR") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(19.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1, "EUR") * 1.5  # type: ignore[operator]


def test_formatting() -> None:
    assert format_money(2400, "EUR") == "€24.00"
    assert format_money(-500, "USD") == "-$5.00"
    assert format_money(123456, "GBP") == "£1,234.56"
    assert format_money(500, "JPY") == "¥500"
    assert format_money(2400, "SEK") == "24.00 SEK"


def test_bad_currencies() -> None:
    with pytest.raises(CurrencyError):
        Money(1, "EURO")
    with pytest.raises(CurrencyError):
        to_decimal_string(1, "KWD")
