"""Inventory reconcile for 1,000 and 10,000 variants against the emulators.

    .venv/bin/python bench/inventory_sync.py

For each size: the first run (everything new), then a run with nothing changed (must
write nothing), then a run where 5% of the stock changed. Prints wall time, Gelato calls,
Sanity mutation requests and documents written, and the 10k/1k cost ratio (goal ≤ 11×).
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.catalog.inventory import reconcile_inventory  # noqa: E402
from storefront.content.client import SanityClient  # noqa: E402
from storefront.content.lake.app import create_lake_app  # noqa: E402
from storefront.content.lake.store import LakeStore  # noqa: E402
from storefront.emulators.gelato import GelatoEmulator  # noqa: E402
from storefront.fulfillment.gelato_client import GelatoClient  # noqa: E402


def setup(variants: int) -> tuple[SanityClient, GelatoClient, GelatoEmulator, list[str]]:
    store = LakeStore(Path(tempfile.mkdtemp()) / "lake.sqlite3")
    uids = [f"bench_uid_{i:06d}" for i in range(variants)]
    products = [
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
    store.put_documents(products)
    lake = create_lake_app(store, token="t", project_id="bench", dataset="production")
    sanity = SanityClient(
        "http://lake.test",
        None,
        "bench",
        "production",
        "v2025-02-19",
        "t",
        http=httpx.Client(transport=httpx.WSGITransport(app=lake)),
    )
    emulator = GelatoEmulator(api_key="k")
    for uid in uids:
        emulator.add_product(uid)
    gelato = GelatoClient(
        api_key="k",
        order_base="http://g.test",
        product_base="http://g.test",
        shipment_base="http://g.test",
        http=httpx.Client(transport=httpx.WSGITransport(app=emulator)),
    )
    return sanity, gelato, emulator, uids


def measure(
    sanity: SanityClient, gelato: GelatoClient, emulator: GelatoEmulator
) -> tuple[float, int, int, int]:
    emulator.reset_calls()
    start = time.perf_counter()
    report = reconcile_inventory(sanity, gelato, region="EU")
    seconds = time.perf_counter() - start
    return seconds, sum(emulator.calls.values()), report.mutation_requests, report.written


def main() -> None:
    logging.disable(logging.INFO)
    costs = {}
    for variants in (1_000, 10_000):
        sanity, gelato, emulator, uids = setup(variants)
        print(f"--- {variants:,} variants")
        for label in ("first run", "nothing changed", "5% changed"):
            if label == "5% changed":
                for uid in uids[::20]:
                    emulator.set_stock(uid, "out-of-stock")
            seconds, calls, mutations, written = measure(sanity, gelato, emulator)
            print(
                f"{label:<16} {seconds:7.2f} s   Gelato calls {calls:4d}   Sanity mutation "
                f"requests {mutations:4d}   documents written {written:6d}"
            )
            if label == "nothing changed":
                costs[variants] = seconds
                assert written == 0, "a run with nothing changed must write nothing"
    print(
        f"10,000 / 1,000 cost (nothing changed): {costs[10_000] / costs[1_000]:.1f}x (goal ≤ 11x)"
    )


if __name__ == "__main__":
    main()
