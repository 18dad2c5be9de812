"""The backstop for Gelato's lossy webhooks: re-read every open order."""

from __future__ import annotations

from storefront.fulfillment.tracking import open_order_numbers, sync_order
from storefront.operations.privacy import finish_erasures
from storefront.orders.links import order_url
from sync.context import JobContext
from sync.registry import scheduled


@scheduled("fulfillment-status")
def fulfillment_status(ctx: JobContext) -> None:
    found = ctx.services
    numbers = open_order_numbers(found.db)
    for number in ctx.progress(numbers, length=len(numbers), label="orders"):
        ctx.read()
        if ctx.dry_run:
            ctx.note(f"would re-read {number} from Gelato")
            continue
        result = sync_order(
            found.db,
            found.gelato,
            number,
            order_link=order_url,
            actor="job:fulfillment-status",
        )
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
    if not ctx.dry_run:
        # Erasures that waited for an order in fulfillment finish once it is done with.
        with found.db.session_scope(write=True) as session:
            forgotten = finish_erasures(session, actor="job:fulfillment-status")
        for email in forgotten:
            found.mailer.forget(email)
        if forgotten:
            ctx.note(f"finished {len(forgotten)} waiting erasure(s)")
