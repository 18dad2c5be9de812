"""VAT: which rate a destination pays, and the breakdown of a gross amount. Pure rules.

Shown prices are gross (what the shopper pays); VAT is taken out of them, never added on
top. The seller is established in the EU (``SELLER_COUNTRY``) and sells goods at a distance:

- **EU destination, seller uses the one-stop shop** (``VAT_OSS=true``, the default): the
  destination country's standard rate (Council Directive 2006/112/EC art. 33 and 369a-369k,
  as amended by 2017/2455 from 1 July 2021). Without OSS the seller's own rate applies (a
  seller under the EU-wide EUR 10,000 threshold; above it, OSS or a registration in every
  country is the law, which this setting cannot check).
- **United Kingdom**: on a consignment whose goods are worth at most GBP 135 (the
  *intrinsic value*: the goods' price without VAT, shipping and insurance) the seller
  charges UK VAT at 20% at checkout (the Taxation (Cross-border Trade) Act 2018, in force
  since 1 January 2021). Above GBP 135 no UK VAT is charged at checkout: the goods are
  imported and the recipient pays import VAT and duty to the carrier on delivery. The
  test needs the amount in GBP, so the UK must be priced in GBP (no exchange rates).
- **Elsewhere** (US, CH, NO, …): an export, no VAT charged.

Shipping follows the goods (it is part of the taxable amount, art. 78 of the directive):
the breakdown is taken from goods and shipping together, at the goods' rate.

VAT is worked out per rate on the total at that rate, rounded half up to the minor unit,
as an invoice shows it: ``vat = gross * rate / (100 + rate)``, ``net = gross - vat``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from storefront.money import Money, normalise_currency

#: Standard VAT rates of the 27 EU member states, in percent.
#:
#: Source: European Commission, DG TAXUD, "VAT rates applied in the Member States of the
#: European Union", situation at 1 January 2025, with the changes in force since: Estonia
#: 24% from 1 July 2025 (was 22%) and Romania 21% from 1 August 2025 (was 19%).
#: Checked 2025-08-01. Re-check against the Commission's table at least once a year; a rate
#: change is a one-line change here plus its test.
EU_STANDARD_RATES: dict[str, Decimal] = {
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "BG": Decimal("20"),
    "CY": Decimal("19"),
    "CZ": Decimal("21"),
    "DE": Decimal("19"),
    "DK": Decimal("25"),
    "EE": Decimal("24"),
    "ES": Decimal("21"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "GR": Decimal("24"),
    "HR": Decimal("25"),
    "HU": Decimal("27"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LT": Decimal("21"),
    "LU": Decimal("17"),
    "LV": Decimal("21"),
    "MT": Decimal("18"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "RO": Decimal("21"),
    "SE": Decimal("25"),
    "SI": Decimal("22"),
    "SK": Decimal("23"),
}
#: The UK standard rate (HMRC, since 4 January 2011).
UK_STANDARD_RATE = Decimal("20")
#: The most a UK consignment's goods may be worth (pence, without VAT) for the seller to
#: charge UK VAT at checkout.
UK_CONSIGNMENT_LIMIT = 135_00

#: Country codes that are not ISO 3166-1 but name EU states in VAT practice.
_ALIASES = {"EL": "GR"}


class VatError(ValueError):
    """A breakdown cannot be worked out; the message says what is wrong."""


class Scheme(StrEnum):
    """Why a rate applies; shown next to the figures and stored with the order."""

    OSS = "oss"  # EU destination rate through the one-stop shop
    DOMESTIC = "domestic"  # the seller's own EU rate (no OSS, or a sale in its own country)
    UK = "uk"  # UK VAT charged by the seller (consignment up to GBP 135)
    UK_IMPORT = "uk_import"  # over GBP 135: import VAT paid by the recipient on delivery
    EXPORT = "export"  # outside the EU and UK: no VAT


NOTES = {
    Scheme.OSS: "VAT of the destination country (EU one-stop shop)",
    Scheme.DOMESTIC: "VAT of the seller's country",
    Scheme.UK: "UK VAT",
    Scheme.UK_IMPORT: "No UK VAT charged at checkout: orders over £135 pay import VAT on delivery",
    Scheme.EXPORT: "Export: no VAT charged",
}


@dataclass(frozen=True)
class VatLine:
    """One rate's share of a sale: ``net + vat == gross``, all in one currency."""

    net: Money
    rate: Decimal
    vat: Money

    @property
    def gross(self) -> Money:
        return self.net + self.vat

    def as_dict(self) -> dict[str, object]:
        return {
            "rate": str(self.rate),
            "net": self.net.amount,
            "vat": self.vat.amount,
            "gross": self.gross.amount,
        }


@dataclass(frozen=True)
class VatBreakdown:
    """What a sale's gross amount is made of: one :class:`VatLine` per rate (none for a
    sale without VAT), the scheme that decided it and the destination."""

    country: str
    currency: str
    scheme: Scheme
    gross: Money
    lines: tuple[VatLine, ...] = ()

    @property
    def total_vat(self) -> Money:
        return sum((line.vat for line in self.lines), Money.zero(self.currency))

    @property
    def total_net(self) -> Money:
        return self.gross - self.total_vat

    @property
    def note(self) -> str:
        return NOTES[self.scheme]

    def describe(self) -> list[str]:
        """One line per rate for people (e-mails, invoices): ``Includes VAT 19%: €5.42 (net
        €28.53)``, or the reason there is none."""
        if not self.lines:
            return [self.note]
        return [
            f"Includes VAT {line.rate}%: {line.vat.format()} (net {line.net.format()})"
            for line in self.lines
        ]

    def as_dict(self) -> dict[str, object]:
        """The stored and published form (amounts in minor units, rates as strings)."""
        return {
            "country": self.country,
            "currency": self.currency,
            "scheme": self.scheme.value,
            "gross": self.gross.amount,
            "net": self.total_net.amount,
            "vat": self.total_vat.amount,
            "lines": [line.as_dict() for line in self.lines],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VatBreakdown:
        """The breakdown :meth:`as_dict` stored."""
        currency = str(data["currency"])
        lines = tuple(
            VatLine(
                Money(int(line["net"]), currency),
                Decimal(str(line["rate"])),
                Money(int(line["vat"]), currency),
            )
            for line in data.get("lines") or []
        )
        gross = Money(int(data["gross"]), currency)
        return cls(str(data["country"]), currency, Scheme(str(data["scheme"])), gross, lines)


@dataclass(frozen=True)
class SellerVat:
    """The seller's side of the rule: where it is established, its VAT id, and whether it
    declares EU sales through the one-stop shop (settings ``SELLER_COUNTRY``,
    ``SELLER_VAT_ID``, ``VAT_OSS``)."""

    country: str = "DE"
    vat_id: str = ""
    uses_oss: bool = True

    def __post_init__(self) -> None:
        if country_code(self.country) not in EU_STANDARD_RATES:
            raise VatError(f"the seller's country must be an EU member state, not {self.country}")


def country_code(country: str) -> str:
    code = (country or "").strip().upper()
    code = _ALIASES.get(code, code)
    if len(code) != 2 or not code.isalpha():
        raise VatError(f"not an ISO 3166-1 alpha-2 country code: {country!r}")
    return code


def vat_inside(rate: Decimal, gross: int) -> int:
    """The VAT inside ``gross`` minor units at ``rate`` percent, rounded half up."""
    return int(
        (Decimal(gross) * rate / (Decimal(100) + rate)).to_integral_value(rounding=ROUND_HALF_UP)
    )


def line_for(gross: Money, rate: Decimal) -> VatLine:
    vat = Money(vat_inside(rate, gross.amount), gross.currency)
    return VatLine(gross - vat, rate, vat)


def rate_for(
    country: str, seller: SellerVat, *, goods_gross: Money
) -> tuple[Scheme, Decimal | None]:
    """The scheme and rate (``None``: no VAT charged) for goods worth ``goods_gross``
    (gross, without shipping) sent to ``country``."""
    code = country_code(country)
    if code in EU_STANDARD_RATES:
        home = country_code(seller.country)
        if seller.uses_oss and code != home:
            return Scheme.OSS, EU_STANDARD_RATES[code]
        return Scheme.DOMESTIC, EU_STANDARD_RATES[home]
    if code == "GB":
        if goods_gross.currency != "GBP":
            raise VatError(
                "UK VAT depends on the consignment's value in GBP; "
                f"the UK must be sold in GBP, not {goods_gross.currency}"
            )
        intrinsic = goods_gross.amount - vat_inside(UK_STANDARD_RATE, goods_gross.amount)
        if intrinsic <= UK_CONSIGNMENT_LIMIT:
            return Scheme.UK, UK_STANDARD_RATE
        return Scheme.UK_IMPORT, None
    return Scheme.EXPORT, None


def breakdown(
    country: str, seller: SellerVat, *, goods_gross: Money, shipping_gross: Money
) -> VatBreakdown:
    """The VAT inside a sale of ``goods_gross`` plus ``shipping_gross`` sent to ``country``.

    Shipping is taxed like the goods (one rate for both); a sale without VAT has no lines.
    """
    currency = normalise_currency(goods_gross.currency)
    if goods_gross.amount < 0 or shipping_gross.amount < 0:
        raise VatError("amounts must not be negative")
    gross = goods_gross + shipping_gross
    scheme, rate = rate_for(country, seller, goods_gross=goods_gross)
    lines = () if rate is None else (line_for(gross, rate),)
    return VatBreakdown(country_code(country), currency, scheme, gross, lines)


def split(amount: Money, of: VatBreakdown) -> VatBreakdown:
    """The same rates applied to part of the sale (a partial refund, a discount): each
    rate's share of ``amount`` in proportion to its share of the sale, the last rate taking
    what rounding leaves."""
    lines: list[VatLine] = []
    left = amount
    for i, line in enumerate(of.lines):
        if i == len(of.lines) - 1 or of.gross.amount == 0:
            part = left
        else:
            part = Money(amount.amount * line.gross.amount // of.gross.amount, amount.currency)
        lines.append(line_for(part, line.rate))
        left = left - part
    return VatBreakdown(of.country, of.currency, of.scheme, amount, tuple(lines))
