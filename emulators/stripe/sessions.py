"""Checkout Session parameters checked as Stripe checks them (the emulator's subset)."""

from __future__ import annotations

from dataclasses import dataclass
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


def validate_session(
    params: dict[str, Any], now: int, coupons: dict[str, dict[str, Any]] | None = None
) -> CheckedSession:
    """Refuse what Stripe refuses (400 with ``param``); compute the amounts."""
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
        subtotal += unit * as_int(line.get("quantity"), f"{where}[quantity]", minimum=1)
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
    discount, discounts = session_discount(params, coupons or {}, currency or "usd", subtotal)
    return CheckedSession(
        currency or "usd", subtotal, shipping, expires_at, lines, discount, discounts
    )
