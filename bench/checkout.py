"""Checkouts per second over HTTP, next to a plain database-write route measured in the same
run (the ratio is what to compare between machines), and a rush of concurrent "Pay"
presses for a limited edition.

    .venv/bin/python bench/checkout.py [--n 300] [--clients 8] [--db sqlite|postgresql]

The whole dev shop (content lake with the demo catalog, Stripe, PayPal, Gelato and
Mailchimp emulators) runs under gunicorn (2 workers × 4 threads) on 127.0.0.1; each
simulated shopper has their own cookies and address (``X-Forwarded-For`` behind one trusted
proxy). A checkout is what a shopper's "Pay" press costs the shop: re-price the cart,
quote shipping with Gelato (cached), create the order in one transaction, create the Stripe
Checkout Session through the real SDK against the emulator, record the attempt, redirect.

Three measurements, each against the same baseline:
  * Gelato up — quotes answered by the emulator;
  * Gelato down — ``GELATO_API_BASE`` points at a closed port: the first quotes fail, the
    circuit opens, and the shipping table answers at once;
  * rush — ``--rush`` shoppers press "Pay" together for a five-unit edition: units sold,
    shoppers refused, 5xx (must be 0) and the slowest response.

Any unexpected answer (a 5xx, a checkout that does not reach the payment page) stops the
benchmark with exit status 1: a figure is only printed for work that really happened.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMITED = "last-glacier-tour"
PRODUCT = "compost-happens"


class BenchFailure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def field(html: str, name: str, suffix: str = "") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"{suffix}', html)
    if not match:
        raise BenchFailure(f"no {name} on the page")
    return match.group(1)


def cpu_seconds(pid: int, *, children: bool) -> float:
    """User + system CPU time of process ``pid`` (or of its children: gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the ppid; utime and stime are fields[11] and fields[12]
        if (int(fields[1]) == pid) if children else (int(entry.name) == pid):
            total += int(fields[11]) + int(fields[12])
    return total / tick


@dataclass
class Servers:
    base: str
    shop_pid: int  # gunicorn masters: their children are the workers
    emulators_pid: int

    def cpu(self) -> tuple[float, float]:
        return (
            cpu_seconds(self.shop_pid, children=True),
            cpu_seconds(self.emulators_pid, children=True),
        )


@contextlib.contextmanager
def process(cmd: list[str], env: dict[str, str], ready: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process and wait until ``ready`` (a URL) answers."""
    log = Path(tempfile.mkstemp(prefix="bench-checkout-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT / "bench", env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(ready, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise BenchFailure(f"{cmd[-1]} did not start; its log: {log}")
            time.sleep(0.1)
        yield proc
    except BaseException:
        print(f"bench/checkout.py: the log of {cmd[-1]} is in {log}", file=sys.stderr)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def shop(database_url: str, gelato_down: bool) -> Iterator[Servers]:
    """The shop under gunicorn and the emulators in their own process, like production."""
    from storefront import migrate

    folder = Path(tempfile.mkdtemp(prefix="storefront-bench-checkout-"))
    port, emulators_port = free_port(), free_port()
    base, emulators = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulators_port}"
    env = {
        **os.environ,
        "STOREFRONT_ENV": "test",
        "LOG_LEVEL": "ERROR",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder),
        "BASE_URL": base,
        "PROXY_HOPS": "1",
        "SHOP_URL": base,
        "EMULATORS_PORT": str(emulators_port),
        "SANITY_API_URL": f"{emulators}/_emulators/sanity",
        "SANITY_READ_TOKEN": "local-lake-token",
        "SANITY_WRITE_TOKEN": "local-lake-token",
        "STRIPE_API_BASE": f"{emulators}/_emulators/stripe",
        "PAYPAL_API_BASE": f"{emulators}/_emulators/paypal",
        "PAYPAL_CERT_HOSTS": "paypal.com,127.0.0.1",
        "GELATO_API_BASE": (
            f"http://127.0.0.1:{free_port()}"  # nothing listens there
            if gelato_down
            else f"{emulators}/_emulators/gelato"
        ),
        "GELATO_ORDER_TYPE": "order",
        "MAILCHIMP_API_BASE": f"{emulators}/_emulators/mailchimp/3.0",
        "PYTHONPATH": str(ROOT),
    }
    migrate.upgrade(database_url)
    python = sys.executable
    emulator_server = [python, "-m", "gunicorn", "-w", "1", "--threads", "16", "--timeout", "300"]
    emulator_server += ["-b", f"127.0.0.1:{emulators_port}", "--log-level", "warning"]
    emulator_server += ["--keep-alive", "30", "emulators_app:wsgi"]
    with process(emulator_server, env, f"{emulators}/_emulators/sanity/") as emu:
        gunicorn = [python, "-m", "gunicorn", "-w", "2", "--threads", "4", "--timeout", "300"]
        gunicorn += ["--keep-alive", "120"]  # shoppers idle between pages; no stale sockets
        gunicorn += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "checkout_app:app"]
        with process(gunicorn, env, f"{base}/healthz") as web:
            yield Servers(base, web.pid, emu.pid)


def shopper(base: str, n: int) -> httpx.Client:
    return httpx.Client(
        base_url=base,
        headers={
            "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "Origin": base,
        },
        timeout=60,
    )


def ready_to_pay(client: httpx.Client, slug: str, n: int) -> dict[str, str]:
    """Cart filled and checkout form fetched through the pages, as a shopper would."""
    page = client.get(f"/products/{slug}").text
    added = client.post(
        "/cart/add",
        data={  # an anonymous page carries no token: the browser's Origin vouches for it
            "product_id": field(page, "product_id"),
            "variant_key": field(page, "variant_key", " checked"),
            "quantity": "1",
        },
    )
    if added.status_code != 303:
        raise BenchFailure(f"add to cart answered {added.status_code}: {added.text[:300]}")
    form = client.get("/checkout").text
    return {
        "csrf_token": field(form, "csrf_token"),
        "checkout_key": field(form, "checkout_key"),
        "email": f"bench{n}@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address_line1": "Kastanienallee 1",
        "city": "Berlin",
        "post_code": "10435",
        "country": "DE",
        "shipping_method": field(form, "shipping_method", " checked"),
        "provider": "stripe",
    }


def timed(jobs: list[Callable[[], None]], clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def run(job: Callable[[], None]) -> None:
        start = time.perf_counter()
        job()
        took = time.perf_counter() - start
        with lock:
            latencies.append(took)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(run, job) for job in jobs]:
            future.result()  # re-raises a BenchFailure from any request
    return time.perf_counter() - started, sorted(latencies)


def checkouts_vs_writes(servers: Servers, n: int, clients: int) -> dict[str, float]:
    base = servers.base
    shoppers = [shopper(base, i) for i in range(n)]
    with ThreadPoolExecutor(clients) as pool:
        forms = list(pool.map(lambda i: ready_to_pay(shoppers[i], PRODUCT, i), range(n)))

    def pay(i: int) -> Callable[[], None]:
        def job() -> None:
            r = shoppers[i].post("/checkout", data=forms[i])
            if r.status_code != 303 or "/_emulators/stripe/" not in r.headers.get("location", ""):
                raise BenchFailure(f"checkout answered {r.status_code}: {r.text[:300]}")

        return job

    writer = shopper(base, n + 1)
    ready_to_pay(writer, PRODUCT, n + 1)  # a visitor with a cart gets a session and a token
    token = field(writer.get("/checkout").text, "csrf_token")

    def write() -> None:
        r = writer.post("/bench/write", data={"csrf_token": token})
        if r.status_code != 200:
            raise BenchFailure(f"write route answered {r.status_code}: {r.text[:300]}")

    # Interleave baseline and checkouts in halves so drift in machine load hits both.
    half = n // 2
    cpu = {"write": [0.0, 0.0], "checkout": [0.0, 0.0]}

    def phase(kind: str, jobs: list[Callable[[], None]]) -> tuple[float, list[float]]:
        before = servers.cpu()
        result = timed(jobs, clients)
        after = servers.cpu()
        cpu[kind][0] += after[0] - before[0]
        cpu[kind][1] += after[1] - before[1]
        return result

    w1, _ = phase("write", [write] * half)
    c1, lat1 = phase("checkout", [pay(i) for i in range(half)])
    w2, _ = phase("write", [write] * (n - half))
    c2, lat2 = phase("checkout", [pay(i) for i in range(half, n)])
    for c in [*shoppers, writer]:
        c.close()
    latencies = sorted(lat1 + lat2)
    checkouts, writes = n / (c1 + c2), n / (w1 + w2)
    return {
        "checkouts": checkouts,
        "writes": writes,
        "ratio": checkouts / writes,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "shop_ms": cpu["checkout"][0] / n * 1000,
        "emulators_ms": cpu["checkout"][1] / n * 1000,
        "write_ms": cpu["write"][0] / n * 1000,
    }


def rush(servers: Servers, shoppers_n: int) -> dict[str, float]:
    base = servers.base
    shoppers = [shopper(base, 100_000 + i) for i in range(shoppers_n)]
    with ThreadPoolExecutor(8) as pool:
        forms = list(pool.map(lambda i: ready_to_pay(shoppers[i], LIMITED, i), range(shoppers_n)))
    barrier = threading.Barrier(shoppers_n)
    results: list[tuple[int, str, float]] = []
    lock = threading.Lock()

    def press(i: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        r = shoppers[i].post("/checkout", data=forms[i])
        with lock:
            results.append((r.status_code, r.text, time.perf_counter() - start))

    threads = [threading.Thread(target=press, args=(i,)) for i in range(shoppers_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in shoppers:
        c.close()
    errors = [s for s, _, _ in results if s >= 500]
    sold = sum(1 for s, _, _ in results if s == 303)
    refused = [(s, body) for s, body, _ in results if s != 303]
    unclear = [s for s, body in refused if s != 409 or "sold out" not in body]
    if errors or unclear:
        raise BenchFailure(f"rush: {len(errors)} 5xx, {len(unclear)} unclear refusals")
    return {
        "sold": sold,
        "refused": len(refused),
        "slowest": max(t for _, _, t in results),
    }


@contextlib.contextmanager
def database(kind: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases of the kind asked for."""
    if kind == "sqlite":
        yield lambda: f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-db-')) / 'shop.db'}"
        return
    from tests.support.postgres import create_database, postgres_server

    counter = iter(range(1000))
    with postgres_server() as server:
        yield lambda: create_database(server, f"bench_{next(counter)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rush", type=int, default=50)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    try:
        with database(args.db) as fresh:
            with shop(fresh(), gelato_down=False) as servers:
                up = checkouts_vs_writes(servers, args.n, args.clients)
                rushed = rush(servers, args.rush)
            with shop(fresh(), gelato_down=True) as servers:
                down = checkouts_vs_writes(servers, args.n, args.clients)
    except (BenchFailure, httpx.HTTPError) as exc:
        traceback.print_exc()
        print(f"bench/checkout.py: FAILED: {exc!r}", file=sys.stderr)
        sys.exit(1)
    print(
        f"{args.db}, gunicorn 2 workers x 4 threads, {args.clients} clients, "
        f"{args.n} checkouts per case"
    )
    for name, r in (("Gelato up", up), ("Gelato down", down)):
        print(
            f"{name:<12} checkouts {r['checkouts']:6.1f}/s (p50 {r['p50']:5.1f} ms, "
            f"p99 {r['p99']:6.1f} ms)  plain write {r['writes']:6.1f}/s  "
            f"ratio {r['ratio']:.3f}"
        )
        print(
            f"{'':<12} server CPU per checkout {r['shop_ms']:.1f} ms (+ emulators "
            f"{r['emulators_ms']:.1f} ms), per write {r['write_ms']:.2f} ms: "
            f"CPU ratio {r['write_ms'] / r['shop_ms']:.3f}"
        )
    print(
        f"rush         {args.rush} presses for 5 units: {rushed['sold']:.0f} sold, "
        f"{rushed['refused']:.0f} told it sold out, 0 errors, slowest {rushed['slowest']:.2f} s"
    )


if __name__ == "__main__":
    main()
