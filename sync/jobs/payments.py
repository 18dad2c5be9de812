"""Payment reconciliation: ask Stripe and PayPal about orders the webhooks left unpaid."""

from __future__ import annotations

from datetime import timedelta

from storefront.db import utcnow
from storefront.orders.links import order_url
from storefront.payments.reconcile import (
    capture_approved,
    reconcile_pending,
    replay_undelivered_events,
)
from sync.context import JobContext
from sync.registry import scheduled


@scheduled("payments")
def payments(ctx: JobContext) -> None:
    grace = timedelta(minutes=ctx.settings.payment_grace_minutes)
    found = ctx.services
    replayed = replay_undelivered_events(
        found.db,
        found.gateways.stripe,
        since=utcnow() - timedelta(days=3),
        order_link=order_url,
        dry_run=ctx.dry_run,
    )
    pending = reconcile_pending(
        found.db,
        found.gateways,
        order_link=order_url,
        grace=grace,
        dry_run=ctx.dry_run,
        progress=lambda ids: list(ctx.progress(ids, label="orders")),
    )
    for report in (replayed, pending):
        ctx.tally(report)
        ctx.changed(report.changed)
        for line in report.notes:
            ctx.note(line)


@scheduled("reservations")
def reservations(ctx: JobContext) -> None:
    # Orders past their payment window: the provider decides (paid late → confirmed; else the
    # order is cancelled and its reservations released, the Stripe session expired first).
    found = ctx.services
    report = reconcile_pending(
        found.db,
        found.gateways,
        order_link=order_url,
        grace=timedelta(0),
        dry_run=ctx.dry_run,
        lapsed_only=True,
    )
    ctx.tally(report)
    ctx.changed(report.changed)
    for line in report.notes:
        ctx.note(line)


@scheduled("paypal-capture")
def paypal_capture(ctx: JobContext) -> None:
    if ctx.dry_run:
        ctx.note("dry run: captures are not attempted")
        return
    report = capture_approved(
        ctx.services.db, ctx.services.gateways, order_link=order_url, lease=ctx.claim_lease
    )
    ctx.tally(report)
    ctx.changed(report.changed)
