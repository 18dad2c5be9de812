"""The HTTP client under the Stripe SDK: what a dead or wrong endpoint becomes (the SDK's
error, retried or not as the SDK's own clients would say), the breaker in front of it, and
the environment's proxy read once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from storefront.circuit import CircuitBreaker, MemoryCircuitStore
from storefront.gateways.port import CheckoutRequest, Line, ProviderUnavailable
from storefront.gateways.stripe_gateway import StripeGateway
from storefront.gateways.stripe_http import StripeHttpClient, _environment_proxy


class HangUp:
    """A TCP server that accepts each connection and closes it at once, counting them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.recv(65536)
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def hang_up() -> Iterator[HangUp]:
    server = HangUp()
    yield server
    server.close()


def request(order_id: str = "1") -> CheckoutRequest:
    return CheckoutRequest(
        order_id=order_id,
        order_number=f"SF-{order_id}",
        currency="EUR",
        lines=(Line(name="Shirt (black, M)", unit_amount=2900, quantity=1, sku="sku-1"),),
        shipping_amount=500,
        discount_amount=0,
        shipping_discount=0,
        discount_label=None,
        customer_email="ada@example.com",
        success_url="http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://shop.test/cancelled",
        expires_at=datetime.now(UTC) + timedelta(minutes=45),
    )


def test_a_dropped_connection_is_retryable_and_ends_as_unavailable(hang_up: HangUp) -> None:
    client = StripeHttpClient(f"http://127.0.0.1:{hang_up.port}", timeout=5)
    with pytest.raises(stripe.APIConnectionError) as raised:
        client.request("post", f"http://127.0.0.1:{hang_up.port}/v1/checkout/sessions", {}, "a=1")
    assert raised.value.should_retry is True
    assert "Could not reach Stripe" in str(raised.value)

    gateway = StripeGateway.create(
        api_key="sk_test_x",
        webhook_secret="whsec_x",
        api_base=f"http://127.0.0.1:{hang_up.port}",
        max_network_retries=1,
    )
    before = hang_up.accepted
    with pytest.raises(ProviderUnavailable):
        gateway.start_checkout(request())
    assert hang_up.accepted - before == 2  # the SDK's retry went through our client


def test_a_tls_failure_is_not_retried(hang_up: HangUp) -> None:
    """``https://`` to a server that does not speak TLS: a certificate or handshake problem
    will not go away on a second try."""
    client = StripeHttpClient(f"https://127.0.0.1:{hang_up.port}", timeout=5)
    with pytest.raises(stripe.APIConnectionError) as raised:
        client.request("get", f"https://127.0.0.1:{hang_up.port}/v1/balance", {})
    assert raised.value.should_retry is False


def test_an_open_circuit_sends_nothing(hang_up: HangUp) -> None:
    breaker = CircuitBreaker("stripe", MemoryCircuitStore(), failure_threshold=1, cooldown=60)
    gateway = StripeGateway.create(
        api_key="sk_test_x",
        webhook_secret="whsec_x",
        api_base=f"http://127.0.0.1:{hang_up.port}",
        max_network_retries=0,
        breaker=breaker,
    )
    with pytest.raises(ProviderUnavailable):
        gateway.start_checkout(request("1"))
    assert (hang_up.accepted, breaker.state) == (1, "open")
    with pytest.raises(ProviderUnavailable, match="circuit"):
        gateway.start_checkout(request("2"))
    assert hang_up.accepted == 1


def test_the_proxy_comes_from_the_environment_unless_the_host_is_exempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert _environment_proxy("https://api.stripe.com") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert _environment_proxy("https://api.stripe.com") == "http://proxy.internal:3128"
    monkeypatch.setenv("NO_PROXY", "stripe.com")
    assert _environment_proxy("https://api.stripe.com") is None
