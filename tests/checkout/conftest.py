"""A shop wired to the Stripe and PayPal emulators, with a small in-process catalog.

Stripe's SDK speaks ``requests``, so its emulator runs on a live 127.0.0.1 port; PayPal's
httpx client goes through a WSGI transport. Both emulators deliver their signed webhooks
straight into the shop (``wsgi_sender``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulators.common import LiveServer, wsgi_sender
from emulators.paypal import PayPalEmulator
from emulators.stripe import StripeEmulator
from storefront.app import create_app
from storefront.container import services
from storefront.gateways.paypal_client import PayPalClient
from storefront.gateways.paypal_gateway import PayPalGateway
from storefront.gateways.registry import Gateways
from storefront.gateways.signatures import cert_fingerprint
from storefront.gateways.stripe_gateway import StripeGateway
from tests.checkout.fakes import LIMITED, TEE, Catalog
from tests.conftest import make_settings
from tests.support.timing import ANSWERED_TIMEOUT

STRIPE_SECRET = "whsec_e2e"
PAYPAL_BASE = "http://127.0.0.1:9"  # answered by the WSGI transport, never dialled
SHOP = "http://127.0.0.1:8000"


@dataclass
class Shop:
    app: Flask
    client: FlaskClient
    stripe: StripeEmulator
    paypal: PayPalEmulator
    paypal_http: httpx.Client


@pytest.fixture
def shop(tmp_path, db_url: str) -> Iterator[Shop]:  # type: ignore[no-untyped-def]
    app = create_app(
        make_settings(
            database_url=db_url, data_dir=tmp_path / "var", stripe_webhook_secret=STRIPE_SECRET
        )
    )
    services(app).catalog = Catalog(TEE, LIMITED)
    services(app).mail_delivery = "off"
    stripe_emu = StripeEmulator(
        webhook_url=f"{SHOP}/webhooks/stripe", webhook_secret=STRIPE_SECRET, sender=wsgi_sender(app)
    )
    paypal_emu = PayPalEmulator(
        webhook_url=f"{SHOP}/webhooks/paypal",
        webhook_id="WH-E2E",
        public_base_url=PAYPAL_BASE,
        sender=wsgi_sender(app),
    )
    server = LiveServer(stripe_emu)
    with server, httpx.Client(transport=httpx.WSGITransport(app=paypal_emu)) as paypal_http:
        stripe_emu.public_base_url = server.url
        services(app).gateways = Gateways(
            stripe=StripeGateway.create(
                api_key="sk_test_local",
                webhook_secret=STRIPE_SECRET,
                api_base=server.url,
                timeout=ANSWERED_TIMEOUT,
            ),
            paypal=PayPalGateway(
                PayPalClient(PAYPAL_BASE, "local-client", "local-secret", http=paypal_http),
                webhook_id="WH-E2E",
                allowed_cert_hosts=("paypal.com", "127.0.0.1"),
                cert_pins=(cert_fingerprint(paypal_emu.signer.cert_pem),),
            ),
        )
        yield Shop(app, app.test_client(), stripe_emu, paypal_emu, paypal_http)
    services(app).db.dispose()


def csrf(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


ADDRESS = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_line1": "Kastanienallee 1",
    "city": "Berlin",
    "post_code": "10435",
    "country": "DE",
    "shipping_method": "normal",
}


def add_to_cart(client: FlaskClient, offer=TEE, quantity: int = 1, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/cart/add",
        data={
            "csrf_token": csrf(client, "/cart"),
            "product_id": offer.product_id,
            "variant_key": offer.variant_key,
            "quantity": str(quantity),
            **extra,
        },
    )


def checkout(client: FlaskClient, provider: str = "stripe", **overrides: str):  # type: ignore[no-untyped-def]
    page = client.get("/checkout").get_data(as_text=True)
    key = re.search(r'name="checkout_key" value="([^"]+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert key and token, page
    data = {
        **ADDRESS,
        "provider": provider,
        "checkout_key": key.group(1),
        "csrf_token": token.group(1),
        **overrides,
    }
    return client.post("/checkout", data=data)


def press(http: httpx.Client, url: str, action: str) -> httpx.Response:
    """Press a button on an emulator's hosted page like a browser would."""
    page = http.get(url)
    assert page.status_code == 200, page.text
    form = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert form, page.text
    extra = {}
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    if token:
        extra["token"] = token.group(1)
    return http.post(httpx.URL(url).join(form.group(1)), data={"action": action, **extra})


def shop_path(url: str) -> str:
    return url.removeprefix(SHOP)
