"""The VAT rule: a rate per destination, the UK's GBP 135 consignment rule, exports."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.config import ConfigError, load_settings
from storefront.money import Money
from storefront.vat import (
    EU_STANDARD_RATES,
    Scheme,
    SellerVat,
    VatBreakdown,
    VatError,
    breakdown,
    rate_for,
    split,
)

OSS = SellerVat(country="DE", vat_id="DE123456789", uses_oss=True)

#: The Commission's table (see the module's docstring), written out again here so that a
#: changed rate in the code has to be changed in the test too.
EXPECTED = {
    "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
    "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
    "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
    "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23",
}  # fmt: skip


def test_the_table_has_exactly_the_27_member_states() -> None:
    assert sorted(EU_STANDARD_RATES) == sorted(EXPECTED)
    assert len(EU_STANDARD_RATES) == 27


@pytest.mark.parametrize("country", sorted(EXPECTED))
def test_each_member_state_pays_its_own_rate_through_oss(country: str) -> None:
    gross = Money(100_00, "EUR")
    scheme, rate = rate_for(country, OSS, goods_gross=gross)
    assert rate == Decimal(EXPECTED[country])
    assert scheme == (Scheme.DOMESTIC if country == "DE" else Scheme.OSS)
    result = breakdown(country, OSS, goods_gross=gross, shipping_gross=Money(0, "EUR"))
    (line,) = result.lines
    # net + vat is the gross, and the VAT is the rate of the net to within half a cent
    assert line.net.amount + line.vat.amount == 100_00
    assert abs(line.net.amount * Decimal(EXPECTED[country]) / 100 - line.vat.amount) <= 1


def test_known_figures() -> None:
    """Worked by hand: €29.00 + €4.95 shipping to France at 20% → VAT 5.66, net 28.29."""
    result = breakdown("FR", OSS, goods_gross=Money(2900, "EUR"), shipping_gross=Money(495, "EUR"))
    (line,) = result.lines
    assert (line.net.amount, line.rate, line.vat.amount) == (2829, Decimal("20"), 566)
    assert result.total_vat == Money(566, "EUR") and result.total_net == Money(2829, "EUR")
    # Finland's 25.5%: 100.00 gross → VAT 20.32 (100 * 25.5 / 125.5 = 20.318…)
    fi = breakdown("FI", OSS, goods_gross=Money(10000, "EUR"), shipping_gross=Money(0, "EUR"))
    assert fi.total_vat.amount == 2032


def test_without_oss_the_sellers_own_rate_applies() -> None:
    seller = SellerVat(country="DE", uses_oss=False)
    assert rate_for("FR", seller, goods_gross=Money(1000, "EUR")) == (
        Scheme.DOMESTIC,
        Decimal("19"),
    )


def test_uk_up_to_135_pounds_of_goods_pays_uk_vat_above_it_none_at_checkout() -> None:
    # £162.00 gross is £135.00 without VAT: still UK VAT at checkout.
    at_limit = breakdown(
        "GB", OSS, goods_gross=Money(162_00, "GBP"), shipping_gross=Money(595, "GBP")
    )
    assert at_limit.scheme == Scheme.UK
    assert at_limit.lines[0].rate == Decimal("20")
    assert at_limit.total_vat.amount == round((162_00 + 595) / 6)
    # One penny more is over the limit (shipping does not count towards it).
    over = breakdown("GB", OSS, goods_gross=Money(162_02, "GBP"), shipping_gross=Money(0, "GBP"))
    assert over.scheme == Scheme.UK_IMPORT and over.lines == ()
    assert over.total_vat == Money(0, "GBP") and over.total_net == Money(162_02, "GBP")


def test_uk_needs_pounds() -> None:
    with pytest.raises(VatError, match="GBP"):
        rate_for("GB", OSS, goods_gross=Money(1000, "EUR"))


@pytest.mark.parametrize("country", ["US", "CA", "CH", "NO", "AU"])
def test_exports_carry_no_vat(country: str) -> None:
    result = breakdown(
        country, OSS, goods_gross=Money(5000, "USD"), shipping_gross=Money(695, "USD")
    )
    assert result.scheme == Scheme.EXPORT and result.lines == ()
    assert result.total_vat == Money(0, "USD")


@pytest.mark.parametrize("bad", ["", "X", "DEU", "1A", "ZZZ"])
def test_bad_country_codes_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(VatError, match="country code"):
        rate_for(bad, OSS, goods_gross=Money(1, "EUR"))


def test_the_seller_must_be_in_the_eu() -> None:
    with pytest.raises(VatError, match="seller"):
        SellerVat(country="US")


def test_round_trip_and_split() -> None:
    result = breakdown("NL", OSS, goods_gross=Money(5800, "EUR"), shipping_gross=Money(495, "EUR"))
    assert VatBreakdown.from_dict(result.as_dict()) == result
    part = split(Money(1000, "EUR"), result)
    assert part.lines[0].rate == Decimal("21") and part.total_vat.amount == 174  # 10 * 21/121
    assert part.total_net.amount + part.total_vat.amount == 1000


def test_settings_name_what_is_wrong() -> None:
    assert load_settings(_env_file=None, seller_vat_id="de 123 456 789").seller_vat.vat_id == (
        "DE123456789"
    )
    with pytest.raises(ConfigError, match="SELLER_COUNTRY"):
        load_settings(_env_file=None, seller_country="US")
    with pytest.raises(ConfigError, match="SELLER_VAT_ID"):
        load_settings(_env_file=None, seller_vat_id="123")


def test_describe_for_people() -> None:
    de = breakdown("DE", OSS, goods_gross=Money(2900, "EUR"), shipping_gross=Money(495, "EUR"))
    assert de.describe() == ["Includes VAT 19%: €5.42 (net €28.53)"]
    us = breakdown("US", OSS, goods_gross=Money(3200, "USD"), shipping_gross=Money(695, "USD"))
    assert us.describe() == ["Export: no VAT charged"]
