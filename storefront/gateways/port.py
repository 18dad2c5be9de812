"""The payment port: provider-neutral values and errors that cross the checkout boundary.

Checkout code talks to a gateway (Stripe or PayPal) only through these frozen dataclasses;
SDK objects and provider JSON never leave an adapter. Amounts are integer minor units with an
ISO 4217 currency (upper case here; adapters convert to each provider's format).

Error tree::

    PaymentError (provider, request_id, code, http_status, retryable)
    ├── PaymentDeclined      the payer's instrument was refused — ask for another
    ├── ProviderUnavailable  5xx, timeout, network — retryable, may or may not have happened
    ├── ProviderRejected     4xx — permanent: our request or our credentials are wrong
    └── SignatureError       a webhook failed verification — answer 400, never act on it
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

Provider = Literal["stripe", "paypal"]
#: ``approved`` is PayPal's "payer said yes, capture now"; only ``paid`` means money moved.
PaymentState = Literal["open", "approved", "pending", "paid", "failed", "expired"]
RefundState = Literal["succeeded", "pending", "failed", "canceled"]
#: Provider-neutral meaning of a webhook; ``other`` for types the shop does not act on.
EventKind = Literal[
    "payment.approved",
    "payment.paid",
    "payment.pending",
    "payment.failed",
    "payment.reversed",
    "checkout.expired",
    "refund.updated",
    "other",
]


@dataclass(frozen=True)
class Line:
    name: str
    unit_amount: int
    quantity: int
    sku: str | None = None

    def __post_init__(self) -> None:
        if self.unit_amount < 0 or self.quantity < 1:
            raise ValueError("a line needs unit_amount >= 0 and quantity >= 1")


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a provider needs to take payment for one order attempt."""

    order_id: str
    order_number: str
    currency: str
    lines: tuple[Line, ...]
    success_url: str
    cancel_url: str
    shipping_amount: int = 0
    customer_email: str | None = None
    #: When the offer lapses (Stripe session expiry; reservations end then). Timezone-aware.
    expires_at: datetime | None = None
    #: Bumped when a new attempt for the same order must not replay the previous one.
    attempt: int = 1
    #: A discount code's effect, computed by the shop: off the goods and off the shipping.
    discount_amount: int = 0
    shipping_discount: int = 0
    #: What the provider's page calls the discount (the code).
    discount_label: str | None = None
    #: The VAT inside what is charged (gross amounts less the discounts) and its one rate
    #: (``storefront.vat``; ``None``: no VAT charged). Providers show it; it never changes
    #: what is charged.
    vat_amount: int = 0
    vat_rate: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a checkout needs at least one line")
        if len(self.currency) != 3 or self.shipping_amount < 0:
            raise ValueError("currency must be ISO 4217 and shipping_amount >= 0")
        if not 0 <= self.discount_amount <= self.items_total:
            raise ValueError("discount_amount must be between 0 and the items' total")
        if not 0 <= self.shipping_discount <= self.shipping_amount:
            raise ValueError("shipping_discount must be between 0 and shipping_amount")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        if not 0 <= self.vat_amount <= self.total or (self.vat_amount and self.vat_rate is None):
            raise ValueError("vat_amount must be within the total and come with its vat_rate")

    @property
    def items_total(self) -> int:
        return sum(line.unit_amount * line.quantity for line in self.lines)

    @property
    def total(self) -> int:
        return (
            self.items_total + self.shipping_amount - self.discount_amount - self.shipping_discount
        )

    @property
    def idempotency_key(self) -> str:
        """Same order and attempt → same key, so a retried create never makes a second one."""
        return f"order-{self.order_id}-checkout-{self.attempt}"


@dataclass(frozen=True)
class CheckoutStarted:
    provider: Provider
    #: Checkout Session id (Stripe) or Orders v2 id (PayPal): what later calls refer to.
    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class PaymentStatus:
    provider: Provider
    provider_ref: str
    state: PaymentState
    amount: int | None
    currency: str | None
    #: PaymentIntent id (Stripe) or capture id (PayPal): what a refund refers to.
    payment_id: str | None = None
    order_ref: str | None = None
    failure_reason: str | None = None

    @property
    def is_paid(self) -> bool:
        return self.state == "paid"


@dataclass(frozen=True)
class RefundResult:
    provider: Provider
    refund_id: str
    state: RefundState
    amount: int
    currency: str
    payment_id: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook, reduced to what the checkout domain acts on."""

    provider: Provider
    event_id: str
    type: str
    kind: EventKind
    created: datetime
    #: Our order id as we gave it to the provider (metadata / custom_id), when present.
    order_ref: str | None = None
    #: Session id / PayPal order id the event is about, when known.
    provider_ref: str | None = None
    payment_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    #: For ``refund.updated``: the provider's refund id and its state in our words.
    refund_id: str | None = None
    refund_state: RefundState | None = None
    #: The provider's object (session, capture, refund…) as sent, for the event log.
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class PaymentError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: Provider | None = None,
        request_id: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        #: Stripe's ``Request-Id`` or PayPal's ``debug_id``: quote it to the provider's support.
        self.request_id = request_id
        self.code = code
        self.http_status = http_status


class PaymentDeclined(PaymentError):
    pass


class ProviderUnavailable(PaymentError):
    retryable = True


class ProviderRejected(PaymentError):
    pass


class SignatureError(PaymentError):
    pass


class PaymentGateway(Protocol):
    """Everything the shop asks of a payment provider; the Stripe and PayPal adapters both
    satisfy it, and nothing outside an adapter knows which one it talks to."""

    provider: Provider

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        """Create the provider's checkout for one order attempt (idempotent per attempt)."""
        ...

    def get_status(self, provider_ref: str) -> PaymentStatus:
        """Ask the provider what happened to a checkout."""
        ...

    def capture(self, provider_ref: str) -> PaymentStatus:
        """Take the money of an approved payment (a no-op read where the provider captures
        by itself); safe to repeat."""
        ...

    def expire(self, provider_ref: str) -> PaymentStatus:
        """End an open checkout early, so it can no longer be paid; safe to repeat."""
        ...

    def refund(
        self, payment_id: str, amount: int | None, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Refund ``amount`` (``None``: what is left) of a captured payment."""
        ...

    def get_refund(self, refund_id: str) -> RefundResult: ...

    def parse_event(self, raw_body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a webhook's signature over the raw body (:class:`SignatureError` if it
        fails), then read the event."""
        ...

    def undelivered_events(self, since: datetime) -> Iterator[ProviderEvent]:
        """Events the provider failed to deliver to us since ``since`` (empty where the
        provider keeps no such list)."""
        ...
