"""One table of currencies through every place an amount changes form.

The shop's minor units follow ISO 4217 (``storefront.money.exponent``); the display, PayPal's
decimal string and Stripe's integer are derived from that one rule inside each adapter. Each
row says what ISO, PayPal and Stripe make of one amount, so a second exponent table that
disagrees (ISK once had two decimals in money.py and none in the PayPal adapter) fails here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from storefront.gateways.paypal_gateway import from_paypal_value, to_paypal_value
from storefront.gateways.stripe_gateway import from_stripe_amount, to_stripe_amount
from storefront.gelato.types import to_minor_units
from storefront.money import CurrencyError, exponent, format_money, from_decimal, to_decimal_string

REFUSED = CurrencyError


@dataclass(frozen=True)
class Case:
    currency: str
    amount: int  # our minor units
    decimal: str | type[Exception]  # ISO 4217 major units
    shown: str | type[Exception]  # format_money
    paypal: str | type[Exception]  # PayPal's "value"
    stripe: int | type[Exception]  # Stripe's "amount"


CASES = [
    Case("EUR", 2750, "27.50", "€27.50", "27.50", 2750),
    Case("USD", 5, "0.05", "$0.05", "0.05", 5),
    Case("GBP", 123456, "1234.56", "£1,234.56", "1234.56", 123456),
    Case("JPY", 500, "500", "¥500", "500", 500),
    # ISO 4217: no minor unit. Stripe still counts hundredths (100 = 1 króna).
    Case("ISK", 4990, "4990", "4,990 ISK", "4990", 499000),
    # ISO 4217: two decimals; PayPal takes whole forints/dollars only.
    Case("HUF", 150000, "1500.00", "1,500.00 HUF", "1500", 150000),
    Case("HUF", 150050, "1500.50", "1,500.50 HUF", REFUSED, 150050),
    Case("TWD", 99000, "990.00", "990.00 TWD", "990", 99000),
    Case("SEK", 24900, "249.00", "249.00 SEK", "249.00", 24900),
    # ISO 4217: two decimals; Stripe treats MGA as zero-decimal.
    Case("MGA", 1500000, "15000.00", "15,000.00 MGA", "15000.00", 15000),
    Case("MGA", 1500050, "15000.50", "15,000.50 MGA", "15000.50", REFUSED),
    Case("UGX", 5000, "5000", "5,000 UGX", "5000", 5000),
    # Three decimals: the shop does not sell in them, so every path refuses.
    Case("KWD", 1500, REFUSED, REFUSED, REFUSED, REFUSED),
    Case("BHD", 1500, REFUSED, REFUSED, REFUSED, REFUSED),
]


def _check(expected: object, produce: object) -> None:
    assert callable(produce)
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            produce()
    else:
        assert produce() == expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.currency}-{c.amount}")
def test_every_format_follows_the_one_exponent(case: Case) -> None:
    c, a = case.currency, case.amount
    _check(case.decimal, lambda: to_decimal_string(a, c))
    _check(case.shown, lambda: format_money(a, c))
    _check(case.paypal, lambda: to_paypal_value(a, c))
    _check(case.stripe, lambda: to_stripe_amount(a, c))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.currency}-{c.amount}")
def test_every_format_reads_back_to_the_same_minor_units(case: Case) -> None:
    c, a = case.currency, case.amount
    if isinstance(case.decimal, str):
        assert from_decimal(case.decimal, c) == a
        assert to_minor_units(case.decimal, c) == a  # Gelato's prices
    if isinstance(case.paypal, str):
        assert from_paypal_value(case.paypal, c) == a
        # PayPal's value and the shop's display name the same sum of money.
        assert isinstance(case.decimal, str) and Decimal(case.paypal) == Decimal(case.decimal)
    if isinstance(case.stripe, int):
        assert from_stripe_amount(case.stripe, c) == a


def test_the_cases_cover_each_exponent_the_shop_sells_in() -> None:
    sold = {c.currency for c in CASES if isinstance(c.decimal, str)}
    assert {exponent(code) for code in sold} == {0, 2}


def test_provider_amounts_with_a_fraction_the_shop_cannot_hold_are_refused() -> None:
    with pytest.raises(CurrencyError):
        from_paypal_value("4990.5", "ISK")  # a fraction of a króna
    with pytest.raises(CurrencyError):
        from_stripe_amount(499050, "ISK")  # Stripe allows only whole krónur since 2023
    with pytest.raises(CurrencyError):
        from_paypal_value("1.005", "EUR")
