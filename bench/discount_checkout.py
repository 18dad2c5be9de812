"""Checkouts per second with a discount code next to the same checkouts without one, in one
run against the same servers (the ratio is the figure; 1.0 means the code costs nothing).

    .venv/bin/python bench/discount_checkout.py [--n 200] [--clients 8] [--db sqlite|postgresql]

The setting of ``bench/checkout.py`` (whose helpers this reuses): the whole dev shop under
gunicorn (2 workers × 4 threads), the emulators in their own process, each shopper with
their own cookies, cart and address. With a code, a "Pay" press also checks the code,
reserves a use with the conditional UPDATE, splits the discount over the lines and creates
a one-off Stripe coupon before the Checkout Session. Runs with and without the code are
interleaved in halves so that drift in the machine's load hits both alike. Any answer that
is not a redirect to the payment page stops the benchmark with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import checkout as harness

from storefront.db import Database
from storefront.discounts import services as discounts
from storefront.discounts.schemas import DiscountIn

CODE = "BENCH-10"


def make_code(database_url: str) -> None:
    db = Database(database_url)
    with db.session_scope(write=True) as session:
        discounts.create(session, DiscountIn(code=CODE, kind="percent", percent=10), actor="bench")
    db.dispose()


def run(servers: harness.Servers, n: int, clients: int) -> dict[str, float]:
    shoppers = [harness.shopper(servers.base, i) for i in range(2 * n)]
    with ThreadPoolExecutor(clients) as pool:
        forms = list(
            pool.map(lambda i: harness.ready_to_pay(shoppers[i], harness.PRODUCT, i), range(2 * n))
        )
    for i in range(n, 2 * n):
        forms[i]["discount_code"] = CODE

    def pay(i: int) -> Callable[[], None]:
        def job() -> None:
            r = shoppers[i].post("/checkout", data=forms[i])
            if r.status_code != 303 or "/_emulators/stripe/" not in r.headers.get("location", ""):
                raise harness.BenchFailure(f"checkout answered {r.status_code}: {r.text[:300]}")

        return job

    half = n // 2
    plain_1, _ = harness.timed([pay(i) for i in range(half)], clients)
    coded_1, _ = harness.timed([pay(i) for i in range(n, n + half)], clients)
    plain_2, _ = harness.timed([pay(i) for i in range(half, n)], clients)
    coded_2, _ = harness.timed([pay(i) for i in range(n + half, 2 * n)], clients)
    for c in shoppers:
        c.close()
    plain, coded = n / (plain_1 + plain_2), n / (coded_1 + coded_2)
    return {"plain": plain, "coded": coded, "ratio": coded / plain}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    try:
        with harness.database(args.db) as fresh:
            url = fresh()
            with harness.shop(url, gelato_down=False) as servers:
                make_code(url)
                result = run(servers, args.n, args.clients)
            db = Database(url)
            with db.session_scope() as session:
                used = discounts.find(session, CODE)
                uses = used.uses if used else 0
            db.dispose()
    except (harness.BenchFailure, httpx.HTTPError) as exc:
        traceback.print_exc()
        print(f"bench/discount_checkout.py: FAILED: {exc!r}", file=sys.stderr)
        sys.exit(1)
    if uses != args.n:
        print(f"bench/discount_checkout.py: FAILED: {uses} uses for {args.n}", file=sys.stderr)
        sys.exit(1)
    print(
        f"{args.db}, gunicorn 2 workers x 4 threads, {args.clients} clients, "
        f"{args.n} checkouts each way"
    )
    print(
        f"without a code {result['plain']:6.1f}/s   with {CODE} {result['coded']:6.1f}/s   "
        f"ratio {result['ratio']:.3f}   ({uses} uses counted)"
    )


if __name__ == "__main__":
    main()
