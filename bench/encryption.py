"""What sealing personal data costs: checkout and the operator's order list, encrypted vs.
plaintext, measured in one run.

    .venv/bin/python bench/encryption.py [--rounds 6] [--checkouts 15] [--orders 400] [--lists 40]

Two dev shops (content lake with the demo catalog and every emulator, as ``storefront dev``
serves them) run side by side on 127.0.0.1, each in a process and on a SQLite file of its
own (two shops in one process are not alike: the second runs slower): one seals names,
e-mails, addresses and payloads with AES-256-GCM (``storefront.fieldcrypt``), the other has
a cipher that stores values as they are (blind indexes are still made, so lookups work the
same way). The rounds alternate between the two so a busy machine slows both alike.

* checkout — one shopper's "Pay" press over HTTP (re-price the cart, quote shipping, write
  the order with its sealed e-mail and address, create the Stripe session at the emulator,
  redirect), the cart and form fetched beforehand as a shopper would;
* order list — an operator's ``/admin/orders`` (25 orders opened per page, over a table of
  ``--orders``) and a search by a whole e-mail address (through the blind index).

Each figure is the median of every measured request, twice: the wall time the client saw,
and the CPU time the server's request thread spent (``time.thread_time``, which a busy
machine disturbs far less). The ratio is encrypted / plaintext (target: within 1.10). Not
part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.server import build_dev_app  # noqa: E402
from emulators.common import LiveServer  # noqa: E402
from storefront.accounts import services as accounts  # noqa: E402
from storefront.config import Settings  # noqa: E402
from storefront.container import services  # noqa: E402
from storefront.fieldcrypt import attach  # noqa: E402
from storefront.orders.models import Order  # noqa: E402
from tests.support.fieldcrypt import TEST_KEYS, PlaintextCipher  # noqa: E402

PRODUCT = "compost-happens"
MODES = ("plaintext", "encrypted")
PASSWORD = "a long operator password"


class BenchFailure(Exception):
    pass


class _Late:
    def __init__(self) -> None:
        self.target: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.target(environ, start_response)


@dataclass
class Shop:
    mode: str
    url: str
    timings: dict[str, list[float]] = field(default_factory=dict)
    #: CPU seconds of the server thread per labelled request (see :class:`CpuMeter`).
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def record(self, what: str, seconds: float) -> None:
        self.timings.setdefault(what, []).append(seconds)


class CpuMeter:
    """WSGI middleware: the CPU time of the request's thread, for requests the benchmark
    labels with ``X-Bench``, the response body included."""

    def __init__(self, app: Any, into: dict[str, list[float]]) -> None:
        self.app, self.into = app, into

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/_bench/cpu":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(self.into).encode()]
        label = environ.get("HTTP_X_BENCH")
        if not label:
            return self.app(environ, start_response)
        start = time.thread_time()
        body = list(self.app(environ, start_response))
        self.into.setdefault(label, []).append(time.thread_time() - start)
        return body


@contextmanager
def shop(mode: str, orders: int) -> Iterator[Shop]:
    folder = Path(tempfile.mkdtemp(prefix=f"storefront-bench-{mode}-"))
    late = _Late()
    server = LiveServer(late)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        storefront_env="test",
        log_level="WARNING",
        base_url=server.url,
        database_url=f"sqlite:///{folder / 'shop.db'}",
        data_dir=folder / "var",
        data_keys=TEST_KEYS,
        paypal_cert_hosts="paypal.com,127.0.0.1",
        sanity_read_token="local-lake-token",
        sanity_write_token="local-lake-token",
        gelato_order_type="order",
        proxy_hops=1,  # each shopper has an address of their own (X-Forwarded-For)
    )
    app, wsgi = build_dev_app(settings)
    found = services(app)
    found.mail_delivery = "off"
    if mode == "plaintext":
        attach(found.db.engine, PlaintextCipher(TEST_KEYS))
    measured = Shop(mode, server.url)
    late.target = CpuMeter(wsgi, measured.cpu)
    with found.db.session_scope(write=True) as session:
        accounts.register(session, "ops@example.com", PASSWORD, "Ops", role="operator")
        for n in range(orders):
            session.add(
                Order(
                    number=f"SF-BENCH-{n:05d}",
                    email=f"buyer{n}@example.com",
                    status="paid",
                    currency="EUR",
                    subtotal_amount=2900,
                    shipping_amount=495,
                    total_amount=3395,
                    payment_provider="stripe",
                    shipping_address={
                        "first_name": "Ada",
                        "last_name": f"Buyer{n}",
                        "address_line1": "Kastanienallee 1",
                        "city": "Berlin",
                        "post_code": "10435",
                        "country": "DE",
                        "phone": "+49 30 1234567",
                    },
                )
            )
    with server:
        try:
            yield measured
        finally:
            found.db.dispose()


def _field(html: str, name: str, suffix: str = "") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"{suffix}', html)
    if not match:
        raise BenchFailure(f"no {name} on the page")
    return match.group(1)


def timed(
    shop: Shop, what: str, send: Callable[..., httpx.Response], path: str, expect: int, **kw: Any
) -> httpx.Response:
    """One labelled request, its wall time recorded (the server records its CPU time)."""
    start = time.perf_counter()
    response = send(path, headers={"X-Bench": what}, **kw)
    took = time.perf_counter() - start
    if response.status_code != expect:
        raise BenchFailure(f"{shop.mode} {what}: {response.status_code} {response.text[:300]}")
    shop.record(what, took)
    return response


def checkouts(shop: Shop, n: int, start: int) -> None:
    for i in range(start, start + n):
        headers = {"Origin": shop.url, "X-Forwarded-For": f"10.1.{i // 256 % 256}.{i % 256}"}
        with httpx.Client(base_url=shop.url, headers=headers, timeout=60) as client:
            page = client.get(f"/products/{PRODUCT}").text
            added = client.post(
                "/cart/add",
                data={
                    "product_id": _field(page, "product_id"),
                    "variant_key": _field(page, "variant_key", " checked"),
                    "quantity": "1",
                },
            )
            if added.status_code != 303:
                raise BenchFailure(f"{shop.mode}: add to cart answered {added.status_code}")
            form = client.get("/checkout").text
            data = {
                "csrf_token": _field(form, "csrf_token"),
                "checkout_key": _field(form, "checkout_key"),
                "email": f"shopper{i}@example.com",
                "first_name": "Ada",
                "last_name": f"Shopper{i}",
                "address_line1": "Kastanienallee 1",
                "city": "Berlin",
                "post_code": "10435",
                "country": "DE",
                "phone": "+49 30 1234567",
                "shipping_method": _field(form, "shipping_method", " checked"),
                "provider": "stripe",
            }
            timed(shop, "checkout", client.post, "/checkout", 303, data=data)


def operator(shop: Shop) -> httpx.Client:
    headers = {"Origin": shop.url, "X-Forwarded-For": "10.2.0.1"}
    client = httpx.Client(base_url=shop.url, headers=headers, timeout=60)
    logged_in = client.post("/login", data={"email": "ops@example.com", "password": PASSWORD})
    if logged_in.status_code not in (302, 303):
        raise BenchFailure(f"{shop.mode}: operator login answered {logged_in.status_code}")
    return client


def order_lists(shop: Shop, client: httpx.Client, n: int, orders: int) -> None:
    for i in range(n):
        timed(shop, "order list", client.get, "/admin/orders", 200)
        email = f"buyer{(i * 37) % orders}@example.com"
        found = timed(
            shop, "search by e-mail", client.get, "/admin/orders", 200, params={"q": email}
        )
        if f"SF-BENCH-{(i * 37) % orders:05d}" not in found.text:
            raise BenchFailure(f"{shop.mode}: the search for {email} did not find its order")


def serve(mode: str, orders: int) -> None:
    """The child process: one shop, until the parent closes our stdin."""
    with shop(mode, orders) as running:
        print(f"READY {running.url}", flush=True)
        sys.stdin.read()


@contextmanager
def shop_process(mode: str, orders: int) -> Iterator[Shop]:
    cmd = [sys.executable, __file__, "--serve", mode, "--orders", str(orders)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise BenchFailure(f"the {mode} shop did not start (exit {proc.wait()})")
        yield Shop(mode, line.split()[1])
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--checkouts", type=int, default=15, help="per shop and round")
    parser.add_argument("--orders", type=int, default=400, help="orders in each database")
    parser.add_argument("--lists", type=int, default=40, help="order-list views per round")
    parser.add_argument("--serve", choices=("plaintext", "encrypted"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.orders)
        return 0

    with ExitStack() as stack:
        shops = [stack.enter_context(shop_process(m, args.orders)) for m in MODES]
        operators = [operator(s) for s in shops]
        for op in operators:
            stack.callback(op.close)
        for s, op in zip(shops, operators, strict=True):  # warm-up, not measured
            checkouts(s, 2, 10_000)
            order_lists(s, op, 2, args.orders)
        warm = [httpx.get(f"{s.url}/_bench/cpu").json() for s in shops]
        for s in shops:
            s.timings.clear()
        for r in range(args.rounds):
            order = range(2) if r % 2 == 0 else range(1, -1, -1)
            for k in order:
                checkouts(shops[k], args.checkouts, r * args.checkouts)
                order_lists(shops[k], operators[k], args.lists, args.orders)
        for s, skip in zip(shops, warm, strict=True):
            cpu = httpx.get(f"{s.url}/_bench/cpu").json()
            s.cpu = {what: times[len(skip.get(what, [])) :] for what, times in cpu.items()}

    plain, sealed = shops
    print(f"{'measure':<28}{'plaintext ms':>14}{'encrypted ms':>14}{'ratio':>8}{'n':>6}")
    worst = {"wall": 0.0, "server CPU": 0.0}
    for what in plain.timings:
        for kind, a_times, b_times in (
            ("wall", plain.timings[what], sealed.timings[what]),
            ("server CPU", plain.cpu[what], sealed.cpu[what]),
        ):
            a, b = statistics.median(a_times) * 1000, statistics.median(b_times) * 1000
            worst[kind] = max(worst[kind], b / a)
            label = f"{what} ({kind})"
            print(f"{label:<28}{a:>14.2f}{b:>14.2f}{b / a:>8.3f}{len(a_times):>6}")
    for kind, ratio in worst.items():
        print(f"worst ratio encrypted / plaintext, {kind}: {ratio:.3f} (target <= 1.10)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchFailure as exc:
        print(f"bench/encryption.py: {exc}", file=sys.stderr)
        sys.exit(1)
