"""Inventory reconcile: Gelato stock → Sanity inventory documents (changes only)."""

from __future__ import annotations

from storefront.catalog.inventory import reconcile_inventory
from storefront.restock.links import product_url
from storefront.restock.services import notify_available
from sync.context import JobContext
from sync.registry import scheduled


@scheduled("inventory")
def inventory(ctx: JobContext) -> None:
    report = reconcile_inventory(
        ctx.services.sanity_writer,
        ctx.services.gelato,
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
    if ctx.dry_run:
        return
    restock = notify_available(
        ctx.services.db, ctx.services.catalog, report.available, product_link=product_url
    )
    for line in restock.notes:
        ctx.note(line)
    if restock.sent:
        ctx.note(f"back in stock: {restock.sent} e-mails queued for the mail job")
