"""Inventory reconcile for 1,000 and 10,000 variants against the emulators.

    .venv/bin/python bench/inventory_sync.py

The content lake and the Gelato emulator run in a process of their own (as Sanity and
Gelato do), so the figure is the shop's own work: for each size, the first run
(everything new), then runs with nothing changed (must write nothing), then a run where 5%
of the stock changed. Prints wall time, the sync process's CPU time, Gelato calls, Sanity
mutation requests and documents written, and the 10k/1k cost ratio of the sync process's
CPU time with nothing changed (median of five runs; goal ≤ 11×, i.e. no worse than
linear with some slack). Exits 1 if a run with nothing changed writes anything.

    .venv/bin/python bench/inventory_sync.py --serve LAKE_FILE VARIANTS PORT   (internal)
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.catalog.inventory import reconcile_inventory  # noqa: E402
from storefront.gelato.client import GelatoClient  # noqa: E402
from storefront.sanity.client import SanityClient  # noqa: E402


def uids_for(variants: int) -> list[str]:
    return [f"bench_uid_{i:06d}" for i in range(variants)]


def write_lake(variants: int) -> Path:
    from contentlake.store import LakeStore

    path = Path(tempfile.mkdtemp()) / "lake.sqlite3"
    store = LakeStore(path)
    uids = uids_for(variants)
    store.put_documents(
        [
            {
                "_id": f"product-{p}",
                "_type": "product",
                "title": f"P{p}",
                "variants": [
                    {"_key": f"v{j}", "productUid": u}
                    for j, u in enumerate(uids[p * 15 : (p + 1) * 15])
                ],
            }
            for p in range((variants + 14) // 15)
        ]
    )
    store.close()
    return path


def serve(lake_file: str, variants: str, port: str) -> None:
    """The emulators' process: the lake on ``/lake``, Gelato on ``/gelato``, two bench hooks."""
    from flask import Flask, jsonify
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import make_server

    from contentlake.app import create_lake_app
    from contentlake.store import LakeStore
    from emulators.gelato import GelatoEmulator

    logging.disable(logging.INFO)
    uids = uids_for(int(variants))
    gelato = GelatoEmulator(api_key="k")
    for uid in uids:
        gelato.add_product(uid)
    hooks = Flask("bench")

    @hooks.post("/calls")
    def calls():  # type: ignore[no-untyped-def]
        total = sum(gelato.calls.values())
        gelato.reset_calls()
        return jsonify(total)

    @hooks.post("/change-stock")
    def change_stock():  # type: ignore[no-untyped-def]
        for uid in uids[::20]:
            gelato.set_stock(uid, "out-of-stock")
        return jsonify(len(uids[::20]))

    lake = create_lake_app(
        LakeStore(Path(lake_file)), token="t", project_id="bench", dataset="production"
    )
    app = DispatcherMiddleware(hooks, {"/lake": lake, "/gelato": gelato})
    make_server("127.0.0.1", int(port), app, threaded=True).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def emulators(variants: int) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, __file__, "--serve", str(write_lake(variants)), str(variants), str(port)]
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.post(f"{base}/calls", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("FAILED: the emulators did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> None:
    logging.disable(logging.INFO)
    costs: dict[int, float] = {}
    for variants in (1_000, 10_000):
        with emulators(variants) as base:
            sanity = SanityClient(f"{base}/lake", None, "bench", "production", "v2025-02-19", "t")
            gelato = GelatoClient(
                api_key="k",
                order_base=f"{base}/gelato",
                product_base=f"{base}/gelato",
                shipment_base=f"{base}/gelato",
                timeout=60,
            )
            print(f"--- {variants:,} variants")

            def run(label: str) -> tuple[float, int]:
                httpx.post(f"{base}/calls")
                start, cpu = time.perf_counter(), time.process_time()
                report = reconcile_inventory(sanity, gelato, region="EU")  # noqa: B023
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                calls = httpx.post(f"{base}/calls").json()
                print(
                    f"{label:<16} {seconds:6.2f} s wall  {cpu:6.2f} s CPU   Gelato calls "
                    f"{calls:4d}   Sanity mutation requests {report.mutation_requests:4d}   "
                    f"documents written {report.written:6d}"
                )
                return cpu, report.written

            run("first run")
            quiet = [run("nothing changed") for _ in range(5)]
            if any(written for _, written in quiet):
                raise SystemExit("FAILED: a run with nothing changed must write nothing")
            costs[variants] = statistics.median(cpu for cpu, _ in quiet)
            httpx.post(f"{base}/change-stock")
            run("5% changed")
    print(
        f"10,000 / 1,000 sync-process CPU (nothing changed, median of 5): "
        f"{costs[10_000] / costs[1_000]:.1f}x (goal ≤ 11x)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(*sys.argv[2:5])
    else:
        main()
