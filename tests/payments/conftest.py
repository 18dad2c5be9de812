"""Fixtures: the real adapters pointed at the emulators (Stripe over a live 127.0.0.1 port,
since the SDK speaks ``requests``; PayPal through httpx's WSGI transport, or live for
timeouts), and an inbox that records the webhooks the emulators send."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from storefront.emulators.common import LiveServer
from storefront.emulators.paypal import PayPalEmulator
from storefront.emulators.stripe import StripeEmulator
from storefront.payments.gateway import CheckoutRequest, Line
from storefront.payments.paypal_client import PayPalClient
from storefront.payments.paypal_gateway import PayPalGateway
from storefront.payments.stripe_gateway import StripeGateway

STRIPE_SECRET = "whsec_test_secret"
PAYPAL_WEBHOOK_ID = "WH-TEST-0001"
PAYPAL_BASE = "http://127.0.0.1:9"  # never dialled: the WSGI transport answers
SHOP = "http://shop.test"


@dataclass
class Inbox:
    """A webhook receiver: records what arrives and answers ``status``."""

    status: int = 200
    received: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.received.append((url, body, dict(headers)))
        return self.status

    def types(self, key: str = "type") -> list[str]:
        import json

        return [json.loads(body)[key] for _, body, _ in self.received]

    def last(self, event_type: str, key: str = "type") -> tuple[bytes, dict[str, str]]:
        import json

        for _, body, headers in reversed(self.received):
            if json.loads(body)[key] == event_type:
                return body, headers
        raise AssertionError(f"no {event_type} webhook among {self.types(key)}")


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def checkout_request(**overrides: object) -> CheckoutRequest:
    values: dict[str, object] = {
        "order_id": "1042",
        "order_number": "SF-1042",
        "currency": "EUR",
        "lines": (
            Line("Existential Dread Tee", 2500, 2, "TEE-DREAD-M-BLK"),
            Line("Compost Happens Tote", 1450, 1, "TOTE-COMPOST"),
        ),
        "shipping_amount": 495,
        "customer_email": "shopper@example.com",
        "success_url": f"{SHOP}/checkout/return?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{SHOP}/cart",
    }
    values.update(overrides)
    return CheckoutRequest(**values)  # type: ignore[arg-type]


def submit_form(
    page_url: str, page: httpx.Response, client: httpx.Client, action: str, **extra: str
) -> httpx.Response:
    """Press a button of an emulator's HTML page like a browser would."""
    match = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert match, page.text
    target = httpx.URL(page_url).join(match.group(1))
    return client.post(target, data={"action": action, **extra}, follow_redirects=False)


# --- Stripe ---------------------------------------------------------------------------------
@pytest.fixture
def stripe_inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def stripe_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stripe_emu(stripe_inbox: Inbox, stripe_clock: FakeClock) -> StripeEmulator:
    return StripeEmulator(
        webhook_url=f"{SHOP}/webhooks/stripe",
        webhook_secret=STRIPE_SECRET,
        sender=stripe_inbox,
        clock=stripe_clock,
    )


@pytest.fixture
def stripe_server(stripe_emu: StripeEmulator) -> Iterator[LiveServer]:
    server = LiveServer(stripe_emu)
    stripe_emu.public_base_url = server.url
    with server:
        yield server


@pytest.fixture
def stripe_gateway(stripe_server: LiveServer) -> StripeGateway:
    return StripeGateway.create(
        api_key="sk_test_local",
        webhook_secret=STRIPE_SECRET,
        api_base=stripe_server.url,
        timeout=2.0,
        max_network_retries=2,
    )


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


# --- PayPal ---------------------------------------------------------------------------------
@pytest.fixture
def paypal_inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def paypal_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def paypal_emu(paypal_inbox: Inbox, paypal_clock: FakeClock) -> PayPalEmulator:
    return PayPalEmulator(
        webhook_url=f"{SHOP}/webhooks/paypal",
        webhook_id=PAYPAL_WEBHOOK_ID,
        public_base_url=PAYPAL_BASE,
        sender=paypal_inbox,
        clock=paypal_clock,
    )


@pytest.fixture
def paypal_http(paypal_emu: PayPalEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.WSGITransport(app=paypal_emu)) as client:
        yield client


@pytest.fixture
def paypal_client(
    paypal_emu: PayPalEmulator, paypal_http: httpx.Client, paypal_clock: FakeClock
) -> PayPalClient:
    return PayPalClient(
        PAYPAL_BASE,
        "local-client",
        "local-secret",
        http=paypal_http,
        clock=paypal_clock,
        sleep=lambda _s: None,
    )


@pytest.fixture
def paypal_gateway(paypal_client: PayPalClient) -> PayPalGateway:
    return PayPalGateway(
        paypal_client, webhook_id=PAYPAL_WEBHOOK_ID, allowed_cert_hosts=("paypal.com", "127.0.0.1")
    )


def approve(
    paypal_http: httpx.Client, redirect_url: str, action: str = "approve"
) -> httpx.Response:
    page = paypal_http.get(redirect_url)
    assert page.status_code == 200
    return submit_form(
        redirect_url, page, paypal_http, action, token=httpx.URL(redirect_url).params["token"]
    )


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)
