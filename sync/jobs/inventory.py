"""Inventory reconcile: Gelato stock → Sanity inventory documents (changes only)."""

from __future__ import annotations

from storefront.catalog.inventory import reconcile_inventory
from storefront.fulfillment.push import gelato_client
from storefront.sanity.client import SanityClient
from sync.context import JobContext
from sync.registry import job


@job(
    id="inventory",
    interval=lambda s: s.sync_inventory_interval,
    description="Ask Gelato what can be made; update Sanity inventory documents that changed.",
)
def inventory(ctx: JobContext) -> None:
    sanity = ctx.app.extensions.get("sanity_write_client") or SanityClient.from_settings(
        ctx.settings, write=True, breaker=ctx.app.extensions["breakers"]("sanity")
    )
    report = reconcile_inventory(
        sanity,
        gelato_client(ctx.app),
        region=ctx.settings.shop_stock_region,
        dry_run=ctx.dry_run,
        progress=lambda batches: ctx.progress(batches, length=len(batches), label="Gelato"),
    )
    ctx.tally(report)
    ctx.skipped(report.unchanged)
    ctx.changed(len(report.changes) if ctx.dry_run else report.written)
    for line in report.changes:
        ctx.note(("would change " if ctx.dry_run else "") + line)
    ctx.note(
        f"Gelato calls: {report.gelato_calls}, Sanity mutation requests: "
        f"{report.mutation_requests}, conflicts retried: {report.conflicts}"
    )
