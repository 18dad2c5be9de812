"""Inventory reconcile through the lake and the Gelato emulator: only changes are written,
a second run writes nothing, a dry run writes nothing, sold-out variants leave the shop."""

import httpx
import pytest
from flask import Flask

from emulators.gelato import GelatoEmulator
from storefront.catalog.inventory import inventory_id, reconcile_inventory
from storefront.container import services
from storefront.gelato.client import GelatoClient
from sync.registry import load_jobs
from sync.runner import run_job
from tests.support.lake import LakeHandle
from tests.support.services import use_gelato

UID = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"


@pytest.fixture
def gelato(app: Flask):  # type: ignore[no-untyped-def]
    emulator = GelatoEmulator(api_key="k")
    http = httpx.Client(transport=httpx.WSGITransport(app=emulator))
    use_gelato(
        app,
        GelatoClient(
            api_key="k",
            order_base="http://gelato.test",
            product_base="http://gelato.test",
            shipment_base="http://gelato.test",
            http=http,
        ),
    )
    yield emulator
    http.close()


def run(app: Flask, lake: LakeHandle, **kw):  # type: ignore[no-untyped-def]
    return reconcile_inventory(lake.write_client, services(app).gelato, region="EU", **kw)


def test_first_run_writes_every_variant_then_nothing(
    app: Flask, lake: LakeHandle, gelato: GelatoEmulator
) -> None:
    first = run(app, lake)
    assert first.variants >= 40  # distinct garments: productUids are shared across designs
    assert first.written == first.variants
    assert first.gelato_calls == 1  # ≤ 250 uids per call
    second = run(app, lake)
    assert second.written == 0
    assert second.unchanged == second.variants
    assert second.mutation_requests == 0


def test_dry_run_lists_changes_and_writes_nothing(
    app: Flask, lake: LakeHandle, gelato: GelatoEmulator
) -> None:
    dry = run(app, lake, dry_run=True)
    assert dry.written == 0
    assert len(dry.changes) == dry.variants
    assert lake.store.get(inventory_id(UID)) is None


def test_sold_out_disappears_and_comes_back(
    app: Flask, lake: LakeHandle, gelato: GelatoEmulator
) -> None:
    client = app.test_client()
    run(app, lake)
    gelato.set_stock(UID, "out-of-stock")
    report = run(app, lake)
    assert report.written == 1
    assert report.changes == [f"{UID}: available → unavailable"]
    page = client.get("/products/extinct-is-forever?variant=black-m").get_data(as_text=True)
    assert "sold out" in page  # the publish webhook dropped the cached page at once
    gelato.set_stock(UID, "in-of-stock")  # the docs' typo: unknown is not in stock
    run(app, lake)  # the region status changed (to unknown), availability did not
    assert lake.store.get(inventory_id(UID))["available"] is False  # type: ignore[index]
    gelato.set_stock(UID, "in-stock")
    assert run(app, lake).written == 1
    page = client.get("/products/extinct-is-forever?variant=black-m").get_data(as_text=True)
    assert "sold out" not in page


def test_conflicting_edit_is_retried(app: Flask, lake: LakeHandle, gelato: GelatoEmulator) -> None:
    run(app, lake)
    gelato.set_stock(UID, "out-of-stock")
    # someone else touches the document between our read and our write
    real_mutate = lake.write_client.mutate
    calls = {"n": 0}

    def racing_mutate(mutations, **kwargs):  # type: ignore[no-untyped-def]
        if calls["n"] == 0:
            real_mutate([{"patch": {"id": inventory_id(UID), "set": {"note": "editor"}}}])
        calls["n"] += 1
        return real_mutate(mutations, **kwargs)

    lake.write_client.mutate = racing_mutate  # type: ignore[method-assign]
    report = run(app, lake)
    assert report.conflicts == 1
    assert report.written == 1
    assert lake.store.get(inventory_id(UID))["available"] is False  # type: ignore[index]


def test_job_records_counts_and_dry_run(
    app: Flask, lake: LakeHandle, gelato: GelatoEmulator
) -> None:
    load_jobs()
    dry = run_job(app, "inventory", dry_run=True)
    assert dry.ok
    assert dry.counts.changed > 0
    real = run_job(app, "inventory")
    assert real.counts.changed == dry.counts.changed
    again = run_job(app, "inventory")
    assert again.counts.changed == 0


def test_the_reconcile_runs_with_the_cycle_collector_paused(
    app: Flask, lake: LakeHandle, gelato: GelatoEmulator
) -> None:
    """Every variant's documents are held at once; full collections walking them made the
    cost grow faster than the catalog (bench/inventory_sync.py)."""
    import gc

    seen: list[bool] = []

    def watching(batch: list[list[str]]):  # type: ignore[no-untyped-def]
        for uids in batch:
            seen.append(gc.isenabled())
            yield uids

    was = gc.isenabled()
    gc.enable()
    try:
        run(app, lake, progress=watching)
        assert seen and not any(seen)
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()
