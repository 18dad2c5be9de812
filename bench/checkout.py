"""Checkouts per second through the Stripe emulator, next to a plain database-write endpoint
measured in the same run (the ratio is what to compare between machines).

A checkout here is what a shopper's "Pay" click costs the shop: re-price the cart, create
the order with its price snapshots (one transaction), create the Stripe Checkout Session
through the real SDK against the emulator on 127.0.0.1, record the payment attempt.

    .venv/bin/python bench/checkout.py [--n 200]
"""

from __future__ import annotations

import argparse
import logging
import re
import secrets

from _common import Timer, temp_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.INFO)

    from storefront.auth import access
    from storefront.db import get_db
    from storefront.emulators.common import LiveServer
    from storefront.emulators.stripe import StripeEmulator
    from storefront.payments.stripe_gateway import StripeGateway
    from storefront.webhooks.service import record_delivery
    from tests.checkout.fakes import TEE, Catalog

    app = temp_app(stripe_webhook_secret="whsec_bench")
    app.extensions["offer_source"] = Catalog(TEE)
    from storefront.security import limiter

    limiter.enabled = False  # every bench client is 127.0.0.1: the per-IP limit would bite

    @app.post("/bench/write")
    @access("public")
    def bench_write():  # type: ignore[no-untyped-def]
        with get_db(app).session_scope(write=True) as session:
            record_delivery(session, "bench", secrets.token_hex(8), "bench", {})
        return "ok"

    emulator = StripeEmulator(webhook_url=None, webhook_secret="whsec_bench")
    with LiveServer(emulator) as server:
        emulator.public_base_url = server.url
        app.extensions["payment_gateways"] = {
            "stripe": StripeGateway.create(
                api_key="sk_test_local", webhook_secret="whsec_bench", api_base=server.url
            )
        }
        form = {
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address_line1": "Kastanienallee 1",
            "city": "Berlin",
            "post_code": "10435",
            "country": "DE",
            "shipping_method": "normal",
            "provider": "stripe",
        }

        def token(client) -> str:  # type: ignore[no-untyped-def]
            page = client.get("/cart").get_data(as_text=True)
            return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

        carts = []
        for _ in range(args.n):  # each shopper has a cart with one shirt, and a form token
            client = app.test_client()
            csrf = token(client)
            client.post(
                "/cart/add",
                data={
                    "product_id": TEE.product_id,
                    "csrf_token": csrf,
                    "variant_key": TEE.variant_key,
                    "quantity": "1",
                },
            )
            carts.append((client, csrf))
        with Timer() as checkout_time:
            for client, csrf in carts:
                resp = client.post(
                    "/checkout",
                    data={**form, "csrf_token": csrf, "checkout_key": secrets.token_urlsafe(18)},
                )
                assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
                assert re.match(r"http://127\.0\.0\.1:\d+/pay/", resp.headers["Location"])
        writer = app.test_client()
        csrf = token(writer)
        with Timer() as write_time:
            for _ in range(args.n):
                assert writer.post("/bench/write", data={"csrf_token": csrf}).status_code == 200
    checkouts = args.n / checkout_time.seconds
    writes = args.n / write_time.seconds
    print(
        f"checkouts            : {args.n} in {checkout_time.seconds:.2f} s = "
        f"{checkouts:.1f}/s ({1000 / checkouts:.1f} ms each)"
    )
    print(f"plain DB-write route : {args.n} in {write_time.seconds:.2f} s = {writes:.1f}/s")
    print(f"ratio checkout/write : {checkouts / writes:.3f}")
    print(f"Stripe sessions made : {len(emulator.sessions)}")


if __name__ == "__main__":
    main()
