"""PayPal adapter: Orders v2 checkout, capture, refunds and webhook verification.

Our integer minor units become PayPal's decimal strings here and nowhere else. Paid means a
capture with status ``COMPLETED`` — an order ``COMPLETED`` with a ``PENDING`` capture is not
paid yet. Webhooks are verified with PayPal's self-verification scheme (see
:class:`storefront.gateways.signatures.PayPalVerifier`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storefront.circuit import CircuitBreaker
from storefront.gateways.paypal_client import PayPalClient
from storefront.gateways.port import (
    CheckoutRequest,
    CheckoutStarted,
    EventKind,
    Line,
    PaymentState,
    PaymentStatus,
    Provider,
    ProviderEvent,
    ProviderRejected,
    RefundResult,
    RefundState,
    SignatureError,
)
from storefront.gateways.signatures import PAYPAL_CERT_HOSTS, PAYPAL_TOLERANCE, PayPalVerifier
from storefront.money import CurrencyError, from_decimal, normalise_currency, to_decimal
from storefront.vat import vat_inside

#: Currencies PayPal takes in whole units only ("does not support decimals" in PayPal's
#: currency codes reference), whatever their ISO 4217 exponent.
PAYPAL_WHOLE_UNITS = frozenset({"HUF", "JPY", "TWD"})

EVENT_KINDS: dict[str, EventKind] = {
    "CHECKOUT.ORDER.APPROVED": "payment.approved",
    "PAYMENT.CAPTURE.COMPLETED": "payment.paid",
    "PAYMENT.CAPTURE.PENDING": "payment.pending",
    "PAYMENT.CAPTURE.DENIED": "payment.failed",
    "PAYMENT.CAPTURE.DECLINED": "payment.failed",
    "PAYMENT.CAPTURE.REVERSED": "payment.reversed",
    "PAYMENT.CAPTURE.REFUNDED": "refund.updated",
    "CHECKOUT.PAYMENT-APPROVAL.REVERSED": "payment.failed",
}
_REFUND_STATES: dict[str, RefundState] = {
    "COMPLETED": "succeeded",
    "PENDING": "pending",
    "FAILED": "failed",
    "CANCELLED": "canceled",
}


def to_paypal_value(amount: int, currency: str) -> str:
    """Minor units → PayPal's ``value`` string (``2750, "EUR"`` → ``"27.50"``).

    The decimals are ISO 4217's (:func:`storefront.money.exponent`); where PayPal takes whole
    units only, an amount with a fraction is refused rather than rounded.
    """
    value = to_decimal(amount, currency)
    if normalise_currency(currency) in PAYPAL_WHOLE_UNITS:
        if value != value.to_integral_value():
            raise CurrencyError(f"PayPal takes whole {currency} only; {value} is not")
        return str(value.quantize(Decimal(1)))
    return str(value)


def from_paypal_value(value: str, currency: str) -> int:
    """PayPal's ``value`` string → minor units (exact; a fraction of a minor unit is refused)."""
    return from_decimal(value, currency)


def _money(amount: int, currency: str) -> dict[str, str]:
    return {"currency_code": currency.upper(), "value": to_paypal_value(amount, currency)}


@dataclass(frozen=True)
class PayPalAmounts:
    """A checkout's amounts as PayPal's breakdown wants them (minor units)."""

    items: list[tuple[Line, int, int]]
    item_total: int
    shipping: int
    tax_total: int
    discount: int
    shipping_discount: int


def vat_split(request: CheckoutRequest) -> PayPalAmounts:
    """Our gross amounts as PayPal's breakdown wants them: items as (line, net unit price,
    quantity), their total, net shipping, net discounts and ``tax_total`` — with
    ``item_total + tax_total + shipping - shipping_discount - discount`` equal to the total
    PayPal checks (``AMOUNT_MISMATCH``) and ``tax_total`` equal to the order's VAT (worked
    out on what is charged, after the discounts). Items carry no ``tax`` of their own
    (PayPal would then require ``tax_total`` to be their sum, leaving no room for the VAT on
    shipping). The cents that per-unit rounding leaves over go to the net discount, else the
    net shipping or, failing both, to one unit of the first line (split off as an item of
    its own).
    """
    rate = request.vat_rate
    if rate is None:
        items = [(line, line.unit_amount, line.quantity) for line in request.lines]
        return PayPalAmounts(
            items,
            request.items_total,
            request.shipping_amount,
            0,
            request.discount_amount,
            request.shipping_discount,
        )

    def net(gross: int) -> int:
        return gross - vat_inside(rate, gross)

    items = [(line, net(line.unit_amount), line.quantity) for line in request.lines]
    shipping = net(request.shipping_amount)
    # A free-shipping code takes off all the shipping: the same net, so they cancel out.
    shipping_discount = (
        shipping
        if request.shipping_discount == request.shipping_amount
        else net(request.shipping_discount)
    )
    discount = net(request.discount_amount)
    tax = request.vat_amount
    item_total = sum(u * q for _, u, q in items)
    left = request.total - (item_total + tax + shipping - shipping_discount - discount)
    if left and discount and 0 <= discount - left <= item_total:
        discount -= left
    elif left and shipping > shipping_discount and shipping + left >= shipping_discount:
        shipping += left
    elif left:
        line, unit, quantity = items[0]
        odd = [(line, unit + left, 1)]
        items = [*([(line, unit, quantity - 1)] if quantity > 1 else []), *odd, *items[1:]]
    item_total = sum(u * q for _, u, q in items)
    return PayPalAmounts(items, item_total, shipping, tax, discount, shipping_discount)


class PayPalGateway:
    provider: Provider = "paypal"

    def __init__(
        self,
        client: PayPalClient,
        *,
        webhook_id: str,
        allowed_cert_hosts: Iterable[str] = PAYPAL_CERT_HOSTS,
        webhook_tolerance: int = PAYPAL_TOLERANCE,
        cert_pins: Iterable[str] = (),
        brand_name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._brand_name = brand_name
        self._verifier = PayPalVerifier(
            webhook_id,
            client.get_bytes,
            allowed_cert_hosts=allowed_cert_hosts,
            tolerance=webhook_tolerance,
            cert_pins=cert_pins,
            clock=clock,
        )

    @classmethod
    def from_settings(
        cls, settings: Any, *, breaker: CircuitBreaker | None = None
    ) -> PayPalGateway:
        client = PayPalClient(
            settings.paypal_base,
            settings.paypal_client_id,
            settings.paypal_client_secret.get_secret_value(),
            breaker=breaker,
        )
        return cls(
            client,
            webhook_id=settings.paypal_webhook_id,
            allowed_cert_hosts=settings.paypal_cert_host_list,
            cert_pins=settings.paypal_cert_pin_list,
        )

    # --- checkout --------------------------------------------------------------------------
    def order_body(self, request: CheckoutRequest) -> dict[str, Any]:
        """The Orders v2 request for a checkout (public for inspection in tests)."""
        currency = request.currency.upper()
        amounts = vat_split(request)
        breakdown: dict[str, Any] = {"item_total": _money(amounts.item_total, currency)}
        if amounts.shipping:
            breakdown["shipping"] = _money(amounts.shipping, currency)
        if amounts.shipping_discount:
            breakdown["shipping_discount"] = _money(amounts.shipping_discount, currency)
        if amounts.discount:
            breakdown["discount"] = _money(amounts.discount, currency)
        if request.vat_rate is not None:
            breakdown["tax_total"] = _money(amounts.tax_total, currency)
        context: dict[str, Any] = {
            "return_url": request.success_url,
            "cancel_url": request.cancel_url,
            "user_action": "PAY_NOW",
            "shipping_preference": "GET_FROM_FILE",
        }
        if self._brand_name:
            context["brand_name"] = self._brand_name[:127]
        paypal: dict[str, Any] = {"experience_context": context}
        if request.customer_email:
            paypal["email_address"] = request.customer_email
        return {
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "reference_id": request.order_id[:256],
                    "custom_id": request.order_id[:127],
                    "invoice_id": request.order_number[:127],
                    "description": f"Order {request.order_number}"[:127],
                    "amount": {**_money(request.total, currency), "breakdown": breakdown},
                    "items": [
                        {
                            "name": line.name[:127],
                            "quantity": str(quantity),
                            "unit_amount": _money(unit, currency),
                            "category": "PHYSICAL_GOODS",
                            **({"sku": line.sku[:127]} if line.sku else {}),
                        }
                        for line, unit, quantity in amounts.items
                    ],
                }
            ],
            "payment_source": {"paypal": paypal},
        }

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        order = self._client.create_order(self.order_body(request), request.idempotency_key)
        for link in order.get("links") or []:
            if link.get("rel") in ("payer-action", "approve"):
                return CheckoutStarted("paypal", order["id"], link["href"])
        raise ProviderRejected("PayPal order has no approval link", provider="paypal")

    def get_status(self, provider_ref: str) -> PaymentStatus:
        return _order_status(self._client.get_order(provider_ref))

    def capture(self, provider_ref: str) -> PaymentStatus:
        """Capture an approved order; safe to call again (same request id, already-captured
        is read back). Paid only when the capture itself is ``COMPLETED``."""
        order = self._client.capture_order(provider_ref, request_id=f"capture-{provider_ref}")
        return _order_status(order)

    def expire(self, provider_ref: str) -> PaymentStatus:
        """PayPal has no call that voids an order the payer has not approved; it lapses by
        itself (the shop cancels its own order). This reads its state."""
        return self.get_status(provider_ref)

    # --- refunds ---------------------------------------------------------------------------
    def refund(
        self, payment_id: str, amount: int | None, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Refund a capture; ``amount=None`` refunds what is left."""
        body: dict[str, Any] = {}
        if amount is not None:
            body["amount"] = _money(amount, currency)
        refund = self._client.refund_capture(payment_id, body, request_id=idempotency_key)
        return _refund_result(refund, payment_id)

    def get_refund(self, refund_id: str) -> RefundResult:
        return _refund_result(self._client.get_refund(refund_id), None)

    # --- webhooks ----------------------------------------------------------------------------
    def undelivered_events(self, since: datetime) -> Iterator[ProviderEvent]:
        """Not asked of PayPal: lost PayPal webhooks are caught by asking about each order."""
        return iter(())

    def parse_event(self, raw_body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the transmission signature over the raw bytes, then read the event."""
        self._verifier.verify(raw_body, {k.upper(): v for k, v in headers.items()})
        try:
            data = json.loads(raw_body)
        except (ValueError, RecursionError) as exc:
            raise SignatureError("signed PayPal payload is not JSON", provider="paypal") from exc
        if not isinstance(data, dict) or "event_type" not in data:
            raise SignatureError("signed PayPal payload is not an event", provider="paypal")
        return _to_event(data)


# --- mapping ----------------------------------------------------------------------------------
def _captures(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        capture
        for unit in order.get("purchase_units") or []
        for capture in ((unit.get("payments") or {}).get("captures") or [])
    ]


def _order_status(order: Mapping[str, Any]) -> PaymentStatus:
    units = order.get("purchase_units") or [{}]
    amount_obj = units[0].get("amount") or {}
    currency = amount_obj.get("currency_code")
    amount = from_paypal_value(amount_obj["value"], currency) if currency else None
    captures = _captures(order)
    capture = captures[0] if captures else None
    status = order.get("status")
    failure = None
    state: PaymentState
    if capture is not None:
        cap_status = capture.get("status")
        if cap_status in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
            state = "paid"
        elif cap_status == "PENDING":
            state = "pending"
            failure = (capture.get("status_details") or {}).get("reason")
        else:
            state, failure = "failed", cap_status
    elif status == "APPROVED":
        state = "approved"
    elif status == "VOIDED":
        state = "expired"
    else:
        state = "open"
    return PaymentStatus(
        provider="paypal",
        provider_ref=str(order.get("id")),
        state=state,
        amount=amount,
        currency=currency,
        payment_id=capture.get("id") if capture else None,
        order_ref=units[0].get("custom_id"),
        failure_reason=failure,
    )


def _refund_result(refund: Mapping[str, Any], capture_id: str | None) -> RefundResult:
    money = refund["amount"]
    return RefundResult(
        provider="paypal",
        refund_id=refund["id"],
        state=_REFUND_STATES.get(refund.get("status", ""), "pending"),
        amount=from_paypal_value(money["value"], money["currency_code"]),
        currency=money["currency_code"],
        payment_id=capture_id or _link_id(refund, "up"),
    )


def _link_id(resource: Mapping[str, Any], rel: str) -> str | None:
    for link in resource.get("links") or []:
        if link.get("rel") == rel:
            return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    return None


def _to_event(data: dict[str, Any]) -> ProviderEvent:
    event_type = str(data["event_type"])
    resource = data.get("resource") or {}
    resource_type = data.get("resource_type")
    order_ref = resource.get("custom_id")
    provider_ref = payment_id = refund_id = None
    refund_state: RefundState | None = None
    if resource_type == "checkout-order":
        provider_ref = resource.get("id")
        order_ref = order_ref or ((resource.get("purchase_units") or [{}])[0].get("custom_id"))
    elif resource_type == "capture":
        payment_id = resource.get("id")
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        provider_ref = related.get("order_id") or _link_id(resource, "up")
    elif resource_type == "refund":
        payment_id = _link_id(resource, "up")
        refund_id = resource.get("id")
        refund_state = _REFUND_STATES.get(resource.get("status", ""), "pending")
    money = resource.get("amount") or {}
    if resource_type == "checkout-order":
        money = ((resource.get("purchase_units") or [{}])[0]).get("amount") or {}
    currency = money.get("currency_code")
    created = data.get("create_time")
    return ProviderEvent(
        provider="paypal",
        event_id=str(data.get("id", "")),
        type=event_type,
        kind=EVENT_KINDS.get(event_type, "other"),
        created=(
            datetime.fromisoformat(created.replace("Z", "+00:00"))
            if isinstance(created, str)
            else datetime.now(UTC)
        ),
        order_ref=order_ref,
        provider_ref=provider_ref,
        payment_id=payment_id,
        amount=from_paypal_value(money["value"], currency) if currency else None,
        currency=currency,
        refund_id=refund_id,
        refund_state=refund_state,
        payload=resource,
    )
