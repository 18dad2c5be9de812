"""Wiring from settings: the emulator base by default, Gelato's own hosts in production."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from pydantic import SecretStr
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from emulators.gelato import GelatoEmulator
from storefront.config import Settings
from storefront.gelato.client import ORDER_HOST, GelatoClient
from tests.fulfillment.conftest import order_request


def test_development_settings_point_every_host_at_the_emulator() -> None:
    settings = Settings(base_url="http://127.0.0.1:5000")
    emulator = GelatoEmulator(api_key=settings.gelato_api_key.get_secret_value())
    http = httpx.Client(transport=httpx.WSGITransport(app=emulator))
    client = GelatoClient.from_settings(settings, http=http)
    assert client._order_base == "http://127.0.0.1:5000/_emulators/gelato"
    assert client._product_base == client._shipment_base == client._order_base
    # The emulator mounted at that prefix answers the same paths.
    shop = DispatcherMiddleware(NotFound(), {"/_emulators/gelato": emulator})
    mounted = httpx.Client(transport=httpx.WSGITransport(app=shop))
    client = GelatoClient.from_settings(settings, http=mounted)
    assert client.create_order(order_request()).order_reference_id == "SF-1001"


def test_no_base_means_gelatos_three_hosts() -> None:
    settings = SimpleNamespace(gelato_base=None, gelato_api_key=SecretStr("live-key"))
    client = GelatoClient.from_settings(settings)
    assert client._order_base == ORDER_HOST
    assert client._product_base == "https://product.gelatoapis.com"
    assert client._shipment_base == "https://shipment.gelatoapis.com"
    client.close()
