"""Coupons, and what one takes off a Checkout Session (the emulator's reading of Stripe).

Stripe's rules kept here: a coupon has either ``amount_off`` (with a ``currency``) or
``percent_off``; ``duration`` is ``once``, ``repeating`` or ``forever``; ``name`` is at most
40 characters. On a payment-mode Checkout Session a coupon discounts the line items, never
the shipping, and never below zero; an ``amount_off`` coupon must be in the session's
currency; a coupon whose ``max_redemptions`` are used up is refused. A session takes either
``discounts`` or ``allow_promotion_codes``, not both.
"""

from __future__ import annotations

from typing import Any

from emulators.stripe.errors import StripeApiError, as_int


def new_coupon(coupon_id: str, params: dict[str, Any], created: int) -> dict[str, Any]:
    amount_off = params.get("amount_off")
    percent_off = params.get("percent_off")
    if (amount_off is None) == (percent_off is None):
        raise StripeApiError(
            400, "You must pass exactly one of amount_off or percent_off.", param="amount_off"
        )
    currency = None
    if amount_off is not None:
        amount_off = as_int(amount_off, "amount_off", minimum=1)
        currency = str(params.get("currency") or "").lower()
        if len(currency) != 3:
            raise StripeApiError(
                400, "You must pass currency when passing amount_off.", param="currency"
            )
    else:
        try:
            percent_off = float(percent_off)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise StripeApiError(400, "Invalid decimal.", param="percent_off") from None
        if not 0 < percent_off <= 100:
            raise StripeApiError(400, "percent_off must be between 0 and 100.", param="percent_off")
    duration = params.get("duration", "once")
    if duration not in ("once", "repeating", "forever"):
        raise StripeApiError(400, f"Invalid duration: {duration}", param="duration")
    name = params.get("name")
    if name is not None and len(str(name)) > 40:
        raise StripeApiError(400, "Name must be at most 40 characters.", param="name")
    max_redemptions = params.get("max_redemptions")
    return {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": amount_off,
        "created": created,
        "currency": currency,
        "duration": duration,
        "duration_in_months": None,
        "livemode": False,
        "max_redemptions": (
            as_int(max_redemptions, "max_redemptions", minimum=1)
            if max_redemptions is not None
            else None
        ),
        "metadata": dict(params.get("metadata") or {}),
        "name": name,
        "percent_off": percent_off,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def session_discount(
    params: dict[str, Any], coupons: dict[str, dict[str, Any]], currency: str, subtotal: int
) -> tuple[int, list[dict[str, Any]]]:
    """The amount a session's ``discounts`` take off its line items, and the session's
    ``discounts`` field."""
    wanted = params.get("discounts") or []
    if not wanted:
        return 0, []
    if params.get("allow_promotion_codes"):
        raise StripeApiError(
            400,
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            param="discounts",
        )
    if not isinstance(wanted, list) or len(wanted) > 1:
        raise StripeApiError(400, "You may only apply one discount.", param="discounts")
    coupon_id = (wanted[0] or {}).get("coupon")
    coupon = coupons.get(str(coupon_id))
    if coupon is None:
        raise StripeApiError(
            400,
            f"No such coupon: '{coupon_id}'",
            param="discounts[0][coupon]",
            code="resource_missing",
        )
    if not coupon["valid"] or (
        coupon["max_redemptions"] is not None
        and coupon["times_redeemed"] >= coupon["max_redemptions"]
    ):
        raise StripeApiError(
            400, f"Coupon {coupon_id} is no longer valid.", param="discounts[0][coupon]"
        )
    if coupon["amount_off"] is not None:
        if coupon["currency"] != currency:
            raise StripeApiError(
                400,
                f"The coupon's currency ({coupon['currency']}) must match the currency of the "
                f"Checkout Session ({currency}).",
                param="discounts[0][coupon]",
            )
        off = min(coupon["amount_off"], subtotal)
    else:
        off = min(round(subtotal * coupon["percent_off"] / 100), subtotal)
    return off, [{"coupon": coupon["id"], "promotion_code": None}]
