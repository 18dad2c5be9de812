"""A shop whose Gelato client talks to the Gelato emulator on a live 127.0.0.1 port (real
timeouts: a test that needs one swaps in a client with ``CLIENT_TIMEOUT``), and whose
webhooks come back into the shop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from emulators.common import LiveServer, wsgi_sender
from emulators.gelato import GelatoEmulator
from storefront.app import create_app
from storefront.container import services
from storefront.gelato.client import GelatoClient
from storefront.http_retry import RetryPolicy
from storefront.orders.models import Order, OrderItem
from storefront.payments import confirmation as payments
from tests.conftest import make_settings
from tests.support.services import use_gelato
from tests.support.timing import ANSWERED_TIMEOUT

SECRET = "gelato-hook-secret"
TEE_M = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"
TEE_L = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_l_gco_white_gpr_4-4"


@dataclass
class Printshop:
    app: Flask
    gelato: GelatoEmulator
    url: str


def gelato_client(url: str, timeout: float = ANSWERED_TIMEOUT) -> GelatoClient:
    return GelatoClient(
        api_key="k",
        order_base=url,
        product_base=url,
        shipment_base=url,
        timeout=timeout,
        retry=RetryPolicy(attempts=2, base_delay=0.01),
    )


@pytest.fixture
def printshop(tmp_path, db_url: str) -> Iterator[Printshop]:  # type: ignore[no-untyped-def]
    app = create_app(
        make_settings(
            database_url=db_url,
            data_dir=tmp_path / "var",
            gelato_webhook_secret=SECRET,
            gelato_order_type="order",
        )
    )
    services(app).mail_delivery = "off"
    emulator = GelatoEmulator(
        api_key="k",
        webhook_url=f"http://shop/webhooks/gelato/{SECRET}",
        webhook_header_value=SECRET,
        webhook_sender=wsgi_sender(app),
        webhook_retry_delay=0,
    )
    with LiveServer(emulator) as server:
        use_gelato(app, gelato_client(server.url))
        yield Printshop(app, emulator, server.url)
        services(app).gelato.close()
    services(app).db.dispose()


def paid_order(
    app: Flask,
    number: str,
    *,
    uid: str = TEE_M,
    address_line1: str = "Street 1",
    extra_uid: str | None = None,
    address: dict[str, str] | None = None,
) -> int:
    """An order paid through the real confirmation path (which queues the Gelato push);
    ``address`` changes fields of the Berlin shipping address."""
    with services(app).db.session_scope(write=True) as session:
        order = Order(
            number=number,
            email="ada@example.com",
            status="pending_payment",
            currency="EUR",
            subtotal_amount=2900,
            shipping_amount=495,
            total_amount=3395,
            shipping_method="normal",
            shipping_address={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "address_line1": address_line1,
                "city": "Berlin",
                "post_code": "10435",
                "country": "DE",
                "email": "ada@example.com",
                **(address or {}),
            },
        )
        session.add(order)
        session.flush()
        for product_uid in [uid] + ([extra_uid] if extra_uid else []):
            session.add(
                OrderItem(
                    order_id=order.id,
                    product_id="p",
                    variant_key=product_uid[-20:],
                    product_uid=product_uid,
                    title="Compost Happens",
                    size="M",
                    colour="Black",
                    unit_amount=2900,
                    quantity=1,
                    line_amount=2900,
                    currency="EUR",
                    print_files={"front": "https://cdn.test/front.png"},
                )
            )
        order_id = order.id
    with services(app).db.session_scope(write=True) as session:
        outcome = payments.confirm_paid(
            session,
            order_id,
            payments.PaymentFacts("stripe", f"cs_{number}", "pi", 3395, "EUR"),
            actor="test",
            order_link=f"http://shop.test/orders/{number}",
        )
        assert outcome == "confirmed"
    return order_id
