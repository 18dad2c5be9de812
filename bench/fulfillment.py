"""Push 1,000 paid orders to the Gelato emulator; print orders per second and Gelato calls
per order (the "search before retry" rule must not cost a call on the happy path).

    .venv/bin/python bench/fulfillment.py [--orders 1000]
"""

from __future__ import annotations

import argparse
import logging

from _common import Timer, temp_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    logging.disable(logging.INFO)

    from storefront.db import get_db
    from storefront.emulators.common import LiveServer
    from storefront.emulators.gelato import GelatoEmulator
    from storefront.fulfillment.gelato_client import GelatoClient
    from storefront.fulfillment.push import push_due
    from storefront.orders.models import Order, OrderItem
    from storefront.outbox import service as outbox

    app = temp_app(gelato_order_type="order")
    emulator = GelatoEmulator(api_key="k", webhook_url=None)
    uid = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"
    with LiveServer(emulator) as server:
        app.extensions["gelato_client"] = GelatoClient(
            api_key="k",
            order_base=server.url,
            product_base=server.url,
            shipment_base=server.url,
            timeout=10,
        )
        with get_db(app).session_scope() as session:
            for n in range(args.orders):
                order = Order(
                    number=f"SF-B{n:07d}",
                    email="b@example.com",
                    status="paid",
                    currency="EUR",
                    subtotal_amount=2900,
                    shipping_amount=495,
                    total_amount=3395,
                    shipping_method="normal",
                    shipping_address={
                        "first_name": "A",
                        "last_name": "B",
                        "address_line1": "Street 1",
                        "city": "Berlin",
                        "post_code": "10435",
                        "country": "DE",
                        "email": "b@example.com",
                    },
                )
                order.items.append(
                    OrderItem(
                        product_id="p",
                        variant_key="v",
                        product_uid=uid,
                        title="Compost Happens",
                        size="M",
                        colour="Black",
                        unit_amount=2900,
                        quantity=1,
                        line_amount=2900,
                        currency="EUR",
                        print_files={"front": "https://cdn.test/f.png"},
                    )
                )
                session.add(order)
                session.flush()
                outbox.enqueue(session, "gelato.push", order.number, {"order_id": order.id})
        emulator.reset_calls()
        pushed = 0
        with Timer() as t:
            while True:
                report = push_due(app, limit=50)
                pushed += report.pushed + report.found
                if not (report.pushed or report.found or report.retried):
                    break
        calls = sum(emulator.calls.values())
    print(f"orders pushed      : {pushed} of {args.orders}")
    print(f"wall time          : {t.seconds:.2f} s")
    print(f"orders per second  : {pushed / t.seconds:.1f}")
    print(f"Gelato calls/order : {calls / max(pushed, 1):.2f}  ({dict(emulator.calls)})")


if __name__ == "__main__":
    main()
