"""Fixtures: the real adapters pointed at the emulators (Stripe over a live 127.0.0.1 port,
since the SDK speaks ``requests``; PayPal through httpx's WSGI transport, or live for
timeouts), and an inbox that records the webhooks the emulators send."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulators.common import LiveServer
from emulators.paypal import PayPalEmulator
from emulators.stripe import StripeEmulator
from storefront.gateways.paypal_client import PayPalClient
from storefront.gateways.paypal_gateway import PayPalGateway
from storefront.gateways.signatures import cert_fingerprint
from storefront.gateways.stripe_gateway import StripeGateway
from tests.payments.support import (
    PAYPAL_BASE,
    PAYPAL_WEBHOOK_ID,
    SHOP,
    STRIPE_SECRET,
    FakeClock,
    Inbox,
)
from tests.support.timing import ANSWERED_TIMEOUT


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
        timeout=ANSWERED_TIMEOUT,
        max_network_retries=2,
    )


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as client:
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
def paypal_gateway(paypal_client: PayPalClient, paypal_emu: PayPalEmulator) -> PayPalGateway:
    return PayPalGateway(
        paypal_client,
        webhook_id=PAYPAL_WEBHOOK_ID,
        allowed_cert_hosts=("paypal.com", "127.0.0.1"),
        cert_pins=(cert_fingerprint(paypal_emu.signer.cert_pem),),
    )
