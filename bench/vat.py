"""Checkouts per second with VAT and without, measured in one run (the ratio is the figure).

    .venv/bin/python bench/vat.py [--n 400] [--rounds 5]

One checkout is what the shop does once the shopper presses "Pay": the cart re-priced,
the order created in one SQLite transaction (price snapshots, VAT breakdown stored), then
the provider requests built — Stripe's Checkout Session parameters and PayPal's order body
with its amount breakdown. "With VAT" ships to Germany (19%, the breakdown worked out and
split for PayPal); "without" ships to the United States (an export: no VAT line). The two
kinds alternate checkout by checkout, so a busy machine slows both alike; the best round of
each and all rounds together are compared.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import temp_app  # noqa: E402
from storefront.cart import services as carts  # noqa: E402
from storefront.catalog.offers import Offer  # noqa: E402
from storefront.checkout import services as checkout  # noqa: E402
from storefront.checkout.schemas import CheckoutDetails  # noqa: E402
from storefront.checkout.shipping import table_options  # noqa: E402
from storefront.container import services  # noqa: E402
from storefront.db import Database  # noqa: E402
from storefront.gateways.paypal_gateway import PayPalGateway  # noqa: E402
from storefront.gateways.stripe_gateway import StripeGateway  # noqa: E402
from storefront.payments.flow import _checkout_request  # noqa: E402
from storefront.vat import SellerVat  # noqa: E402

TEE = Offer(
    product_id="product-compost",
    variant_key="black-m",
    slug="compost-happens",
    title="Compost Happens",
    size="M",
    colour="Black",
    product_uid="uid-black-m",
    unit_amount=2900,
    currency="EUR",
    available=True,
)
TOTE = replace(TEE, variant_key="bone-l", size="L", colour="Bone", unit_amount=3200)
ADDRESSES = {
    "with VAT (DE)": {"country": "DE", "city": "Berlin", "post_code": "10435"},
    "without VAT (US)": {"country": "US", "city": "New York", "post_code": "10001", "state": "NY"},
}


class Offers:
    def offers(self, keys):  # type: ignore[no-untyped-def]
        items = {o.key: o for o in (TEE, TOTE)}
        return {k: items[k] for k in keys if k in items}


def one_checkout(
    db: Database, where: dict[str, str], stripe: StripeGateway, paypal: PayPalGateway
) -> None:
    with db.session_scope(write=True) as session:
        cart = carts.create_cart(session, "EUR")
        carts.add_item(session, cart, TEE, 2)
        carts.add_item(session, cart, TOTE, 1)
        token = cart.token
    details = CheckoutDetails.model_validate(
        {
            "email": "bench@example.com",
            "first_name": "Ada",
            "last_name": "Bench",
            "address_line1": "Street 1",
            "checkout_key": secrets.token_urlsafe(18),
            **where,
        }
    )
    placed = checkout.place_order(
        db,
        cart_token=token,
        details=details,
        offers=Offers(),
        shipping_options=table_options(details.country, "EUR"),
        seller=SellerVat("DE", "DE123456789", True),
    )
    assert placed.order is not None
    request = _checkout_request(placed.order)
    assert request is not None
    stripe.session_params(request)
    body = paypal.order_body(request)
    assert body["purchase_units"][0]["amount"]["value"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400, help="checkouts per round and kind")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    app = temp_app()
    db = services(app).db
    gateways = services(app).gateways
    stripe, paypal = gateways.get("stripe"), gateways.get("paypal")
    assert isinstance(stripe, StripeGateway) and isinstance(paypal, PayPalGateway)
    spent = dict.fromkeys(ADDRESSES, 0.0)
    best: dict[str, float] = {}
    with app.test_request_context():
        for where in ADDRESSES.values():  # warm up both paths
            one_checkout(db, where, stripe, paypal)
        for _ in range(args.rounds):
            # One of each, alternating, so that whatever slows the machine slows both.
            round_spent = dict.fromkeys(ADDRESSES, 0.0)
            for _ in range(args.n):
                for name, where in ADDRESSES.items():
                    start = time.perf_counter()
                    one_checkout(db, where, stripe, paypal)
                    round_spent[name] += time.perf_counter() - start
            for name, seconds in round_spent.items():
                spent[name] += seconds
                best[name] = max(best.get(name, 0.0), args.n / seconds)
    for name, rate in best.items():
        print(f"{name:>18}: {rate:7.1f} checkouts/s (best of {args.rounds} rounds of {args.n})")
    ratio = best["with VAT (DE)"] / best["without VAT (US)"]
    overall = spent["without VAT (US)"] / spent["with VAT (DE)"]
    print(f"ratio with/without VAT: {ratio:.3f} best rounds, {overall:.3f} all rounds")


if __name__ == "__main__":
    main()
