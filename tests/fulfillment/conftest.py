"""Fixtures: a Gelato emulator, the real client wired to it, and a live 127.0.0.1 server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulators.common import LiveServer
from emulators.gelato import GelatoEmulator
from storefront.gelato.address import ShippingAddress
from storefront.gelato.client import GelatoClient
from storefront.gelato.types import GelatoFile, GelatoItemRequest, GelatoOrderRequest
from storefront.http_retry import RetryPolicy

API_KEY = "test-gelato-key"
TEE = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"
TEE_L = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_l_gco_white_gpr_4-4"
POSTER = "flat_product_pf_a3_pt_200-gsm-poster-paper_cl_4-0_ver"
FILES = (GelatoFile(url="https://cdn.example.test/designs/skull-front.png"),)


class Sleeps(list[float]):
    """Records backoff waits instead of sleeping, so retry tests are instant."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def address(**overrides: Any) -> ShippingAddress:
    values: dict[str, Any] = {
        "first_name": "Morticia",
        "last_name": "Adams",
        "address_line1": "1 Cemetery Lane",
        "city": "Berlin",
        "post_code": "10115",
        "country": "DE",
        "email": "morticia@example.test",
    }
    values.update(overrides)
    return ShippingAddress(**values)


def order_request(reference: str = "SF-1001", **overrides: Any) -> GelatoOrderRequest:
    values: dict[str, Any] = {
        "order_reference_id": reference,
        "customer_reference_id": "cust-7",
        "currency": "EUR",
        "items": (GelatoItemRequest(f"{reference}-1", TEE, FILES, 2),),
        "shipping_address": address(),
        "order_type": "order",
    }
    values.update(overrides)
    return GelatoOrderRequest(**values)


@pytest.fixture
def emulator() -> GelatoEmulator:
    return GelatoEmulator(api_key=API_KEY, webhook_retry_delay=0)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(app: Any, sleeps: Sleeps, *, key: str = API_KEY, attempts: int = 3) -> GelatoClient:
    base = "http://gelato.test"
    return GelatoClient(
        api_key=key,
        order_base=base,
        product_base=base,
        shipment_base=base,
        http=httpx.Client(transport=httpx.WSGITransport(app=app)),
        retry=RetryPolicy(attempts=attempts, base_delay=0.1, sleep=sleeps),
    )


@pytest.fixture
def client(emulator: GelatoEmulator, sleeps: Sleeps) -> Iterator[GelatoClient]:
    gelato = make_client(emulator, sleeps)
    yield gelato
    gelato._http.close()


@pytest.fixture
def live_url(emulator: GelatoEmulator) -> Iterator[str]:
    """The emulator on a real 127.0.0.1 port, for tests that need real timeouts."""
    with LiveServer(emulator) as server:
        yield server.url
