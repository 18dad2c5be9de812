"""Stripe adapter: Checkout Sessions through the official SDK (``StripeClient`` style).

Only base address and credentials distinguish production from the local emulator. The SDK's
own retry loop (connection errors, 409, 5xx; jittered backoff) is kept; every unsafe call
carries an idempotency key derived from our ids, so a retry never doubles anything. The SDK
sends through :mod:`storefront.gateways.stripe_http` (urllib3, a bounded timeout, the circuit
breaker in front).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

import stripe

from storefront.circuit import CircuitBreaker
from storefront.gateways.port import (
    CheckoutRequest,
    CheckoutStarted,
    EventKind,
    PaymentDeclined,
    PaymentState,
    PaymentStatus,
    Provider,
    ProviderEvent,
    ProviderRejected,
    ProviderUnavailable,
    RefundResult,
    RefundState,
    SignatureError,
)
from storefront.gateways.signatures import STRIPE_TOLERANCE, verify_stripe_signature
from storefront.gateways.stripe_http import StripeHttpClient
from storefront.money import CurrencyError, exponent, normalise_currency

if TYPE_CHECKING:
    from stripe.params import CouponCreateParams, EventListParams, RefundCreateParams
    from stripe.params.checkout import SessionCreateParams

DEFAULT_API_BASE = "https://api.stripe.com"
MIN_EXPIRY, MAX_EXPIRY = timedelta(minutes=31), timedelta(hours=23, minutes=59)
#: Event types the shop subscribes to (and asks for when reconciling).
EVENT_KINDS: dict[str, EventKind] = {
    "checkout.session.completed": "payment.paid",  # paid only if payment_status == "paid"
    "checkout.session.async_payment_succeeded": "payment.paid",
    "checkout.session.async_payment_failed": "payment.failed",
    "checkout.session.expired": "checkout.expired",
    "charge.refunded": "refund.updated",
    "refund.created": "refund.updated",
    "refund.updated": "refund.updated",
    "refund.failed": "refund.updated",
    "charge.dispute.created": "payment.reversed",
}

#: Where Stripe's API counts a currency in other units than ISO 4217's minor unit (Stripe's
#: "special cases"): ISK stays two-decimal at Stripe (``100`` is one króna, and only whole
#: krónur are accepted); MGA is zero-decimal at Stripe.
STRIPE_EXPONENTS = {"ISK": 2, "MGA": 0}


def to_stripe_amount(amount: int, currency: str) -> int:
    """Our minor units (ISO 4217) → Stripe's ``amount`` integer."""
    return _rescale(amount, _stripe_shift(currency), currency)


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's ``amount`` integer → our minor units (exact; a fraction is refused)."""
    return _rescale(amount, -_stripe_shift(currency), currency)


def _stripe_shift(currency: str) -> int:
    code = normalise_currency(currency)
    return STRIPE_EXPONENTS.get(code, exponent(code)) - exponent(code)


def _our_amount(amount: object, currency: object) -> int | None:
    """An amount Stripe reported, in our units; ``None`` when it cannot be read (which never
    matches an order's total, so nothing is confirmed on it)."""
    if not isinstance(amount, int) or not isinstance(currency, str):
        return None
    try:
        return from_stripe_amount(amount, currency)
    except CurrencyError:
        return None


def _rescale(amount: int, shift: int, currency: str) -> int:
    factor: int = 10 ** abs(shift)  # int ** int is typed Any (a negative power is a float)
    if shift >= 0:
        return amount * factor
    whole, rest = divmod(amount, factor)
    if rest:
        raise CurrencyError(
            f"{amount} {currency.upper()} cannot move between our and Stripe's units exactly"
        )
    return whole


def _fail(exc: stripe.StripeError) -> NoReturn:
    """Translate an SDK error into ours, keeping Stripe's request id."""
    status = exc.http_status
    code = exc.code or (exc.error.type if exc.error else None)
    common: dict[str, Any] = {
        "provider": "stripe",
        "request_id": exc.request_id,
        "code": code,
        "http_status": status,
    }
    message = exc.user_message or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.CardError):
        raise PaymentDeclined(message, **common) from exc
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status is not None and status >= 500
    ):
        raise ProviderUnavailable(message, **common) from exc
    if isinstance(exc, stripe.APIError) and status is None:
        raise ProviderUnavailable(message, **common) from exc
    raise ProviderRejected(message, **common) from exc


class StripeGateway:
    provider: Provider = "stripe"

    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        webhook_secret: str,
        webhook_tolerance: int = STRIPE_TOLERANCE,
    ) -> None:
        self._client = client
        self._tax_rates: dict[str, str] = {}
        self._tax_lock = threading.Lock()
        self._webhook_secret = webhook_secret
        self._tolerance = webhook_tolerance

    @classmethod
    def create(
        cls,
        *,
        api_key: str,
        webhook_secret: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 20.0,
        max_network_retries: int = 2,
        breaker: CircuitBreaker | None = None,
        **kwargs: Any,
    ) -> StripeGateway:
        http_client = StripeHttpClient(api_base, timeout=timeout, breaker=breaker)
        client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=max_network_retries,
            http_client=http_client,
        )
        return cls(client, webhook_secret=webhook_secret, **kwargs)

    @classmethod
    def from_settings(
        cls, settings: Any, *, breaker: CircuitBreaker | None = None
    ) -> StripeGateway:
        return cls.create(
            api_key=settings.stripe_api_key.get_secret_value(),
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
            api_base=settings.stripe_base,
            breaker=breaker,
        )

    # --- checkout --------------------------------------------------------------------------
    def coupon_params(self, request: CheckoutRequest) -> CouponCreateParams:
        """A one-off coupon carrying the discount the shop computed (Stripe applies a coupon
        to the line items, never to shipping; a free-shipping code lowers the shipping rate
        instead). Redeemable once: it exists for this order's session only."""
        currency = request.currency.lower()
        return {
            "amount_off": to_stripe_amount(request.discount_amount, currency),
            "currency": currency,
            "duration": "once",
            "max_redemptions": 1,
            "name": (request.discount_label or "Discount")[:40],
            "metadata": {"order_id": request.order_id, "order_number": request.order_number},
        }

    def session_params(
        self,
        request: CheckoutRequest,
        *,
        now: datetime | None = None,
        coupon_id: str | None = None,
    ) -> SessionCreateParams:
        """The Checkout Session we ask for (public for inspection in tests).

        The parameters must be the same on every retry of one order attempt (Stripe refuses
        a reused idempotency key with other parameters), so nothing here depends on the
        clock except clamping ``expires_at`` into Stripe's 30 min..24 h window. Without an
        ``expires_at`` Stripe's default of 24 hours applies.
        """
        currency = request.currency.lower()
        metadata = {"order_id": request.order_id, "order_number": request.order_number}
        params: SessionCreateParams = {
            "mode": "payment",
            "client_reference_id": request.order_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "line_items": [
                {
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": to_stripe_amount(line.unit_amount, currency),
                        "product_data": (
                            {"name": line.name, "metadata": {"sku": line.sku}}
                            if line.sku
                            else {"name": line.name}
                        ),
                    },
                }
                for line in request.lines
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.expires_at is not None:
            now = now or datetime.now(UTC)
            expires_at = min(max(request.expires_at, now + MIN_EXPIRY), now + MAX_EXPIRY)
            params["expires_at"] = int(expires_at.timestamp())
        if coupon_id is not None:
            # Stripe applies the coupon first and derives inclusive tax from what is left.
            params["discounts"] = [{"coupon": coupon_id}]
        shipping = request.shipping_amount - request.shipping_discount
        if request.vat_rate is not None:
            # Stripe shows inclusive tax per line item; shipping is taxed like the goods, and
            # a shipping rate takes no tax rate without Stripe Tax, so it is a line item here
            # (at its price after a shipping discount; none when the code makes it free).
            rate_id = self.tax_rate_id(request.vat_rate)
            if shipping:
                params["line_items"] = [
                    *params["line_items"],
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency,
                            "unit_amount": to_stripe_amount(shipping, currency),
                            "product_data": {"name": "Shipping"},
                        },
                    },
                ]
            for line in params["line_items"]:
                line["tax_rates"] = [rate_id]
        elif request.shipping_amount:
            params["shipping_options"] = [
                {
                    "shipping_rate_data": {
                        "type": "fixed_amount",
                        "display_name": (
                            f"Free shipping ({request.discount_label or 'discount'})"
                            if request.shipping_discount and not shipping
                            else "Shipping"
                        ),
                        "fixed_amount": {
                            "amount": to_stripe_amount(shipping, currency),
                            "currency": currency,
                        },
                    }
                }
            ]
        if request.customer_email:
            params["customer_email"] = request.customer_email
        return params

    def tax_rate_id(self, percentage: Decimal) -> str:
        """The id of an inclusive "VAT" TaxRate at ``percentage``, created once per process
        (TaxRates cannot be deleted; one per rate is all the shop needs)."""
        key = str(percentage.normalize())
        with self._tax_lock:
            found = self._tax_rates.get(key)
        if found is not None:
            return found
        try:
            rate = self._client.v1.tax_rates.create(
                params={"display_name": "VAT", "percentage": float(percentage), "inclusive": True},
                options={"idempotency_key": f"vat-rate-{key}"},
            )
        except stripe.StripeError as exc:
            _fail(exc)
        with self._tax_lock:
            self._tax_rates[key] = rate.id
        return rate.id

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        try:
            coupon_id = None
            if request.discount_amount:
                coupon_id = self._client.v1.coupons.create(
                    params=self.coupon_params(request),
                    options={"idempotency_key": f"{request.idempotency_key}-coupon"},
                ).id
            # The SDK's raw call: the same encoding, headers, retries and errors as
            # ``v1.checkout.sessions.create``, without turning the whole session (its line
            # items, its settings) into StripeObjects to read two fields (~1 ms a checkout).
            answer = self._client.raw_request(
                "post",
                "/v1/checkout/sessions",
                **self.session_params(request, coupon_id=coupon_id),
                idempotency_key=request.idempotency_key,
            )
        except stripe.StripeError as exc:
            _fail(exc)
        session = answer.data if isinstance(answer.data, dict) else {}
        if not session.get("id") or not session.get("url"):
            raise ProviderRejected("Stripe returned a session without a url", provider="stripe")
        return CheckoutStarted("stripe", str(session["id"]), str(session["url"]))

    def get_status(self, provider_ref: str) -> PaymentStatus:
        """Ask Stripe; only ``payment_status == "paid"`` counts as paid."""
        try:
            session = self._client.v1.checkout.sessions.retrieve(
                provider_ref, params={"expand": ["payment_intent"]}
            ).to_dict()
        except stripe.StripeError as exc:
            _fail(exc)
        return _session_status(session)

    def expire(self, provider_ref: str) -> PaymentStatus:
        """End an open session early (the order was cancelled or its reservation lapsed)."""
        try:
            self._client.v1.checkout.sessions.expire(provider_ref)
        except stripe.StripeError as exc:
            _fail(exc)
        return self.get_status(provider_ref)

    # --- refunds ----------------------------------------------------------------------------
    def refund(
        self, payment_id: str, amount: int | None, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Refund a PaymentIntent; ``amount=None`` refunds what is left."""
        params: RefundCreateParams = {
            "payment_intent": payment_id,
            "reason": "requested_by_customer",
        }
        if amount is not None:
            params["amount"] = to_stripe_amount(amount, currency)
        try:
            refund = self._client.v1.refunds.create(
                params=params,
                options={"idempotency_key": idempotency_key},
            ).to_dict()
        except stripe.StripeError as exc:
            _fail(exc)
        return _refund_result(refund)

    def get_refund(self, refund_id: str) -> RefundResult:
        try:
            return _refund_result(self._client.v1.refunds.retrieve(refund_id).to_dict())
        except stripe.StripeError as exc:
            _fail(exc)

    # --- events -----------------------------------------------------------------------------
    def capture(self, provider_ref: str) -> PaymentStatus:
        """Checkout Sessions capture by themselves: this reads the session's state."""
        return self.get_status(provider_ref)

    def undelivered_events(self, since: datetime) -> Iterator[ProviderEvent]:
        """Events Stripe could not deliver to us since ``since`` (for the reconciliation job)."""
        params: EventListParams = {
            "delivery_success": False,
            "created": {"gte": int(since.timestamp())},
            "types": sorted(EVENT_KINDS),
            "limit": 100,
        }
        try:
            for evt in self._client.v1.events.list(params=params).auto_paging_iter():
                yield _to_event(evt.to_dict())
        except stripe.StripeError as exc:
            _fail(exc)

    def parse_event(self, raw_body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify ``Stripe-Signature`` over the raw bytes, then read the event."""
        signature = next((v for k, v in headers.items() if k.lower() == "stripe-signature"), None)
        verify_stripe_signature(
            raw_body, signature, self._webhook_secret, tolerance=self._tolerance
        )
        try:
            data = json.loads(raw_body)
        except (ValueError, RecursionError) as exc:
            raise SignatureError("signed Stripe payload is not JSON", provider="stripe") from exc
        if not isinstance(data, dict) or data.get("object") != "event":
            raise SignatureError("signed Stripe payload is not an event", provider="stripe")
        return _to_event(data)


# --- mapping ----------------------------------------------------------------------------------
def _session_status(session: dict[str, Any]) -> PaymentStatus:
    intent = session.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    intent_status = intent.get("status") if isinstance(intent, dict) else None
    failure = None
    state: PaymentState
    if session["status"] == "expired":
        state = "expired"
    elif session["status"] == "open":
        state = "open"
    elif session.get("payment_status") in ("paid", "no_payment_required"):
        state = "paid" if session.get("payment_status") == "paid" else "pending"
    elif intent_status in ("requires_payment_method", "canceled"):
        state = "failed"
        error = (intent or {}).get("last_payment_error") or {}
        failure = error.get("message") or error.get("code") or intent_status
    else:
        state = "pending"
    return PaymentStatus(
        provider="stripe",
        provider_ref=session["id"],
        state=state,
        amount=_our_amount(session.get("amount_total"), session.get("currency")),
        currency=(session.get("currency") or "").upper() or None,
        payment_id=intent_id,
        order_ref=session.get("client_reference_id")
        or (session.get("metadata") or {}).get("order_id"),
        failure_reason=failure,
    )


def _refund_state(status: str | None) -> RefundState:
    match status:
        case "succeeded" | "failed" | "canceled":
            return status
        case _:
            return "pending"  # pending, requires_action


def _refund_result(refund: dict[str, Any]) -> RefundResult:
    return RefundResult(
        provider="stripe",
        refund_id=refund["id"],
        state=_refund_state(refund.get("status")),
        amount=from_stripe_amount(refund["amount"], str(refund["currency"])),
        currency=str(refund["currency"]).upper(),
        payment_id=refund.get("payment_intent"),
    )


def _to_event(data: dict[str, Any]) -> ProviderEvent:
    event_type = str(data.get("type", ""))
    obj = (data.get("data") or {}).get("object") or {}
    kind: EventKind = EVENT_KINDS.get(event_type, "other")
    if event_type == "checkout.session.completed" and obj.get("payment_status") != "paid":
        kind = "payment.pending"
    metadata = obj.get("metadata") or {}
    order_ref = obj.get("client_reference_id") or metadata.get("order_id")
    provider_ref = obj.get("id") if obj.get("object") == "checkout.session" else None
    payment_id = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj["id"]
    amount = obj.get("amount_total", obj.get("amount"))
    refund: dict[str, Any] | None = obj if obj.get("object") == "refund" else None
    if obj.get("object") == "charge":
        refunds = (obj.get("refunds") or {}).get("data") or []
        refund = refunds[0] if refunds else None  # the newest refund is listed first
        amount = refund.get("amount") if refund else obj.get("amount_refunded")
    currency = obj.get("currency")
    return ProviderEvent(
        provider="stripe",
        event_id=str(data.get("id", "")),
        type=event_type,
        kind=kind,
        created=datetime.fromtimestamp(int(data.get("created", 0)), UTC),
        order_ref=order_ref,
        provider_ref=provider_ref,
        payment_id=payment_id if isinstance(payment_id, str) else None,
        amount=_our_amount(amount, currency),
        currency=currency.upper() if isinstance(currency, str) else None,
        refund_id=refund.get("id") if refund else None,
        refund_state=_refund_state(refund.get("status")) if refund else None,
        payload=obj,
    )


__all__ = ["EVENT_KINDS", "StripeGateway"]
