"""The backstop for Gelato's lossy webhooks: re-read every open order."""

from __future__ import annotations

from storefront.fulfillment.tracking import open_order_numbers, sync_order
from sync.context import JobContext
from sync.registry import job


@job(
    id="fulfillment-status",
    interval=lambda s: s.sync_fulfillment_interval,
    description="Poll Gelato for every open order's status and tracking.",
)
def fulfillment_status(ctx: JobContext) -> None:
    numbers = open_order_numbers(ctx.app)
    for number in ctx.progress(numbers, length=len(numbers), label="orders"):
        ctx.read()
        if ctx.dry_run:
            ctx.note(f"would re-read {number} from Gelato")
            continue
        result = sync_order(ctx.app, number, actor="job:fulfillment-status")
        if result is None:
            ctx.failed()
        elif result.status_after != result.status_before or result.new_parcels:
            ctx.changed()
            ctx.note(
                f"{number}: {result.status_before} → {result.status_after}"
                + (f", parcels {', '.join(result.new_parcels)}" if result.new_parcels else "")
            )
        else:
            ctx.skipped()
