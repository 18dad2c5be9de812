"""Push 1,000 paid orders to the Gelato emulator (on a live 127.0.0.1 port); print orders per
second, Gelato calls per order (the "search before retry" rule must not cost a call on the
happy path) and, as the baseline measured in the same run, the same number of bare
``create_order`` calls made with the same client and no bookkeeping: the ratio is what the
exactly-once outbox costs on top of talking to Gelato.

    .venv/bin/python bench/fulfillment.py [--orders 1000]

Exits 1 if any order is not pushed exactly once.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from _common import Timer, temp_app

from storefront.container import services
from tests.support.services import use_gelato


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    logging.disable(logging.INFO)

    from emulators.common import LiveServer
    from emulators.gelato import GelatoEmulator
    from storefront.fulfillment.push import push_due
    from storefront.gelato.client import GelatoClient
    from storefront.orders.models import Order, OrderItem
    from storefront.outbox import services as outbox

    app = temp_app(gelato_order_type="order")
    emulator = GelatoEmulator(api_key="k", webhook_url=None)
    uid = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"
    with LiveServer(emulator) as server:
        use_gelato(
            app,
            GelatoClient(
                api_key="k",
                order_base=server.url,
                product_base=server.url,
                shipment_base=server.url,
                timeout=10,
            ),
        )
        with services(app).db.session_scope() as session:
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
        counts = dict(emulator.calls)
        calls = sum(counts.values())
        created = counts.get("create_order", 0)
        if pushed != args.orders or created != args.orders:
            raise SystemExit(
                f"bench/fulfillment.py: FAILED: {pushed} pushed and {created} created "
                f"for {args.orders} orders"
            )
        # Baseline: the same creates straight through the client, nothing recorded.
        from storefront.fulfillment.mapping import to_gelato_request

        with services(app).db.session_scope() as session:
            sample = session.get_one(Order, 1)
            requests = [
                replace(to_gelato_request(sample, order_type="order"), order_reference_id=f"B{n}")
                for n in range(args.orders)
            ]
        client = services(app).gelato
        with Timer() as bare:
            for request in requests:
                client.create_order(request)
    print(f"orders pushed      : {pushed} of {args.orders}, each created once at Gelato")
    print(f"wall time          : {t.seconds:.2f} s")
    print(f"orders per second  : {pushed / t.seconds:.1f}")
    print(f"bare creates/s     : {args.orders / bare.seconds:.1f} (same client, nothing recorded)")
    print(f"ratio push/bare    : {bare.seconds / t.seconds:.2f}")
    print(f"Gelato calls/order : {calls / max(pushed, 1):.2f}  ({counts})")


if __name__ == "__main__":
    main()
