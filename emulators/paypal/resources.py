"""PayPal resources as the emulator answers them: captures, refunds, webhook envelopes."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from emulators.common import new_id
from emulators.paypal.orders import NO_DECIMALS, money

#: The alphabet of PayPal account ids (``account_id`` in the Orders v2 spec:
#: ``^[2-9A-HJ-NP-Z]{13}$``, no 0, 1, I or O, which read alike).
ACCOUNT_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: The emulated merchant's account id, as PayPal fills in ``payee.merchant_id``.
MERCHANT_ID = "N8EMULATEDPAY"


def paypal_id(length: int = 17) -> str:
    """PayPal-looking resource ids (orders, captures, refunds): upper-case letters and digits."""
    return new_id("", length).upper()


def account_id() -> str:
    """A payer's PayPal account id (``payer_id``, ``account_id``): 13 of PayPal's characters."""
    return "".join(secrets.choice(ACCOUNT_ID_ALPHABET) for _ in range(13))


def capture(
    *, capture_id: str, order_id: str, unit: dict[str, Any], status: str, base: str, now: str
) -> dict[str, Any]:
    amount = unit["amount"]
    currency, value = amount["currency_code"], Decimal(amount["value"])
    fee = (value * Decimal("0.0349") + Decimal("0.49")).quantize(
        Decimal(1) if currency in NO_DECIMALS else Decimal("0.01")
    )
    api = f"{base}/v2/payments/captures/{capture_id}"
    result: dict[str, Any] = {
        "id": capture_id,
        "status": status,
        "amount": {"currency_code": currency, "value": amount["value"]},
        "final_capture": True,
        "seller_protection": {
            "status": "ELIGIBLE",
            "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
        },
        "seller_receivable_breakdown": {
            "gross_amount": money(currency, value),
            "paypal_fee": money(currency, fee),
            "net_amount": money(currency, value - fee),
        },
        "links": [
            {"href": api, "rel": "self", "method": "GET"},
            {"href": f"{api}/refund", "rel": "refund", "method": "POST"},
            {"href": f"{base}/v2/checkout/orders/{order_id}", "rel": "up", "method": "GET"},
        ],
        "create_time": now,
        "update_time": now,
    }
    for key in ("custom_id", "invoice_id"):
        if unit.get(key):
            result[key] = unit[key]
    if status == "PENDING":
        result["status_details"] = {"reason": "PENDING_REVIEW"}
    if status == "DECLINED":
        result.pop("seller_receivable_breakdown")
    return result


def refund(
    *,
    refund_id: str,
    capture_id: str,
    amount: dict[str, str],
    refunded_total: dict[str, str],
    base: str,
    now: str,
    extras: dict[str, Any],
) -> dict[str, Any]:
    """A completed refund; ``_capture`` is private bookkeeping, stripped before answering."""
    zero = money(amount["currency_code"], Decimal(0))
    return {
        "id": refund_id,
        "amount": amount,
        "status": "COMPLETED",
        "seller_payable_breakdown": {
            "gross_amount": amount,
            "paypal_fee": zero,
            "net_amount": amount,
            "total_refunded_amount": refunded_total,
        },
        "links": [
            {"href": f"{base}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
            {"href": f"{base}/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"},
        ],
        "create_time": now,
        "update_time": now,
        **extras,
        "_capture": capture_id,
    }


def event(
    *, event_type: str, resource_type: str, resource: dict[str, Any], base: str, now: str
) -> dict[str, Any]:
    """PayPal's webhook envelope around a resource."""
    event_id = f"WH-{paypal_id(17)}-{paypal_id(17)}"
    hooks = f"{base}/v1/notifications/webhooks-events/{event_id}"
    return {
        "id": event_id,
        "event_version": "1.0",
        "create_time": now,
        "resource_type": resource_type,
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": f"{event_type.replace('.', ' ').title()} (emulated)",
        "resource": resource,
        "links": [
            {"href": hooks, "rel": "self", "method": "GET"},
            {"href": f"{hooks}/resend", "rel": "resend", "method": "POST"},
        ],
    }
