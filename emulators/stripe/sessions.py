"""Checkout Session parameters checked as Stripe checks them (the emulator's subset)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from emulators.stripe.coupons import session_discount
from emulators.stripe.errors import StripeApiError, as_int

MIN_EXPIRY, MAX_EXPIRY = 30 * 60, 24 * 60 * 60


@dataclass(frozen=True)
class CheckedSession:
    currency: str
    subtotal: int
    shipping: int
    expires_at: int
    lines: list[dict[str, Any]]
    discount: int = 0
    discounts: list[dict[str, Any]] | None = None
    #: Inclusive tax inside each line (same order as ``lines``), as Stripe computes it:
    #: on the line's amount after its share of the discount.
    line_taxes: tuple[int, ...] = ()

    @property
    def tax(self) -> int:
        return sum(self.line_taxes)


def inclusive_tax(amount: int, percentage: Decimal) -> int:
    """The tax inside a line's ``amount`` at an inclusive rate, rounded half up to the
    minor unit per line item (Stripe taxes each line item on its own)."""
    exact = Decimal(amount) * percentage / (Decimal(100) + percentage)
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def discount_shares(amounts: list[int], discount: int) -> list[int]:
    """A session-level discount spread over the line items in proportion to their amounts
    (the last line with an amount takes what rounding leaves), as Stripe does before it
    works out inclusive tax on each line's discounted amount."""
    total = sum(amounts)
    shares = [0] * len(amounts)
    if not discount or not total:
        return shares
    last = max(i for i, amount in enumerate(amounts) if amount)
    left = discount
    for i, amount in enumerate(amounts):
        share = left if i == last else discount * amount // total
        shares[i] = share
        left -= share
    return shares


def validate_session(
    params: dict[str, Any],
    now: int,
    coupons: Mapping[str, dict[str, Any]] | None = None,
    tax_rates: Mapping[str, dict[str, Any]] | None = None,
) -> CheckedSession:
    """Refuse what Stripe refuses (400 with ``param``); compute the amounts. ``coupons`` and
    ``tax_rates``: the account's Coupon and TaxRate objects by id (``discounts[].coupon``
    and ``line_items[].tax_rates`` name them). A coupon is applied before inclusive tax is
    derived: the tax of a line is the tax inside its amount less its share of the discount."""
    if params.get("mode") != "payment":
        raise StripeApiError(400, "The emulator supports mode=payment only.", param="mode")
    if not params.get("success_url"):
        raise StripeApiError(400, "Missing required param: success_url.", param="success_url")
    lines = params.get("line_items") or []
    if not isinstance(lines, list) or not lines:
        raise StripeApiError(400, "Missing required param: line_items.", param="line_items")
    if len(lines) > 100:
        raise StripeApiError(400, "At most 100 line items.", param="line_items")
    currency, subtotal = None, 0
    amounts: list[int] = []
    percentages: list[list[Decimal]] = []
    for index, line in enumerate(lines):
        price = (line or {}).get("price_data") or {}
        where = f"line_items[{index}]"
        if not (price.get("product_data") or {}).get("name"):
            raise StripeApiError(
                400, "Missing product name.", param=f"{where}[price_data][product_data][name]"
            )
        line_currency = str(price.get("currency", "")).lower()
        if not line_currency or (currency and line_currency != currency):
            raise StripeApiError(
                400, "All line items need one currency.", param=f"{where}[price_data][currency]"
            )
        currency = line_currency
        unit = as_int(price.get("unit_amount"), f"{where}[price_data][unit_amount]")
        amount = unit * as_int(line.get("quantity"), f"{where}[quantity]", minimum=1)
        subtotal += amount
        amounts.append(amount)
        percentages.append([])
        for rate_id in line.get("tax_rates") or []:
            rate = (tax_rates or {}).get(str(rate_id))
            if rate is None:
                raise StripeApiError(
                    400,
                    f"No such tax rate: '{rate_id}'",
                    param=f"{where}[tax_rates]",
                    code="resource_missing",
                )
            if not rate["inclusive"]:
                raise StripeApiError(
                    400,
                    "The emulator supports inclusive tax rates only.",
                    param=f"{where}[tax_rates]",
                )
            percentages[-1].append(Decimal(str(rate["percentage"])))
    shipping = 0
    for index, option in enumerate(params.get("shipping_options") or []):
        fixed = ((option or {}).get("shipping_rate_data") or {}).get("fixed_amount") or {}
        param = f"shipping_options[{index}][shipping_rate_data][fixed_amount][amount]"
        if index == 0:  # the first option is the preselected one
            shipping = as_int(fixed.get("amount"), param)
    for key, value in (params.get("metadata") or {}).items():
        if len(key) > 40 or len(str(value)) > 500:
            raise StripeApiError(400, "Metadata key or value too long.", param="metadata")
    expires_at = now + MAX_EXPIRY
    if params.get("expires_at") is not None:
        expires_at = as_int(params["expires_at"], "expires_at")
        if not now + MIN_EXPIRY <= expires_at <= now + MAX_EXPIRY:
            raise StripeApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
    discount, discounts = session_discount(params, dict(coupons or {}), currency or "usd", subtotal)
    taxes = tuple(
        sum(inclusive_tax(amount - share, pct) for pct in rates)
        for amount, share, rates in zip(
            amounts, discount_shares(amounts, discount), percentages, strict=True
        )
    )
    return CheckedSession(
        currency or "usd", subtotal, shipping, expires_at, lines, discount, discounts, taxes
    )


def validate_tax_rate(params: dict[str, Any]) -> tuple[str, Decimal, bool]:
    """``POST /v1/tax_rates``: display_name, percentage and inclusive are required."""
    name = str(params.get("display_name") or "")
    if not name:
        raise StripeApiError(400, "Missing required param: display_name.", param="display_name")
    if len(name) > 50:
        raise StripeApiError(400, "display_name is too long (50 at most).", param="display_name")
    try:
        percentage = Decimal(str(params.get("percentage")))
    except ArithmeticError:
        raise StripeApiError(400, "Invalid decimal: percentage.", param="percentage") from None
    if not percentage.is_finite() or not 0 <= percentage <= 100:
        raise StripeApiError(400, "percentage must be between 0 and 100.", param="percentage")
    inclusive = str(params.get("inclusive", "")).lower()
    if inclusive not in ("true", "false"):
        raise StripeApiError(400, "Missing required param: inclusive.", param="inclusive")
    return name, percentage, inclusive == "true"
