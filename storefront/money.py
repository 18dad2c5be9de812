"""Money: integer minor units plus an ISO 4217 currency. The only place that knows exponents.

Provider formats are produced at the edges from here, inside each adapter and from
:func:`exponent`: Stripe takes minor units (with its own documented exceptions, converted in
the Stripe adapter), PayPal takes a decimal string in major units (``to_decimal_string``,
with whole units only where PayPal refuses decimals, in the PayPal adapter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: ISO 4217 (list one, "minor unit" column) wherever it is not 2. The facts, not a provider's
#: view of them: ISK has no minor unit in ISO 4217 although Stripe still counts it in
#: hundredths, and HUF and TWD have two decimals although PayPal takes whole units only.
ISO_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


class CurrencyError(ValueError):
    pass


def exponent(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit (ISO 4217); the shop sells in 0 or 2.

    Currencies with three or four decimals are refused rather than half supported: no
    price, provider format or display of the shop has been checked with them.
    """
    code = normalise_currency(currency)
    places = ISO_EXPONENTS.get(code, 2)
    if places > 2:
        raise CurrencyError(f"{code} has {places} decimals; the shop does not sell in it")
    return places


def normalise_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise CurrencyError(f"not an ISO 4217 currency code: {currency!r}")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise TypeError("multiply Money by an integer quantity")
        return Money(self.amount * quantity, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def to_decimal(self) -> Decimal:
        return to_decimal(self.amount, self.currency)

    def format(self) -> str:
        return format_money(self.amount, self.currency)


def to_decimal(amount: int, currency: str) -> Decimal:
    exp = exponent(currency)
    return (Decimal(amount) / (Decimal(10) ** exp)).quantize(Decimal(1).scaleb(-exp))


def to_decimal_string(amount: int, currency: str) -> str:
    """``2750, "EUR"`` → ``"27.50"``; ``500, "JPY"`` → ``"500"`` (PayPal's format)."""
    return str(to_decimal(amount, currency))


def from_decimal(value: str | Decimal, currency: str) -> int:
    """A decimal amount in major units → minor units, refusing sub-minor precision."""
    exp = exponent(currency)
    dec = Decimal(str(value))
    minor = dec.scaleb(exp)
    if minor != minor.to_integral_value():
        raise CurrencyError(f"{value} has more than {exp} decimals for {currency}")
    return int(minor.to_integral_value(rounding=ROUND_HALF_UP))


def parse_amount(text: str, currency: str) -> int:
    """An amount a person typed → minor units: ``10,50``, ``10.50``, ``€ 1.234,50`` and
    ``1,234.50`` all read as expected. The last ``,`` or ``.`` is the decimal mark when
    digits up to the currency's exponent follow it (and it is the only one of its kind);
    otherwise separators group thousands. Raises :class:`CurrencyError` when unreadable."""
    cleaned = re.sub(r"[\s\u00a0\u202f'’]", "", text).strip("€$£¥").upper()
    cleaned = cleaned.removesuffix(normalise_currency(currency)).removeprefix(currency.upper())
    if not re.fullmatch(r"-?[0-9.,]+", cleaned or "x"):
        raise CurrencyError(f"{text!r} is not an amount")
    last = max(cleaned.rfind(","), cleaned.rfind("."))
    decimals = cleaned[last + 1 :] if last >= 0 else ""
    mark = cleaned[last] if last >= 0 else ""
    is_decimal = bool(mark) and (
        ("," in cleaned and "." in cleaned)
        or (
            cleaned.count(mark) == 1
            and 0 < len(decimals) <= max(exponent(currency), 0)
            and not (len(decimals) == 3 and exponent(currency) < 3)
        )
    )
    if "," in cleaned and "." in cleaned and cleaned.count(mark) != 1:
        raise CurrencyError(f"{text!r} is not an amount")
    if is_decimal:
        whole = re.sub(r"[.,]", "", cleaned[:last])
        number = f"{whole or '0'}.{decimals}"
    else:
        number = re.sub(r"[.,]", "", cleaned)
    try:
        return from_decimal(number, currency)
    except (ArithmeticError, ValueError) as exc:
        raise CurrencyError(f"{text!r} is not an amount") from exc


def format_money(amount: int, currency: str) -> str:
    """Human display: ``€24.00``, ``-$5.00``, ``¥500``; unknown currencies as ``24.00 SEK``."""
    code = normalise_currency(currency)
    dec = to_decimal(abs(amount), code)
    sign = "-" if amount < 0 else ""
    text = f"{dec:,}"
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"
