"""Payment reconciliation: ask Stripe and PayPal about orders the webhooks left unpaid."""

from __future__ import annotations

from datetime import timedelta

from storefront.db import utcnow
from storefront.payments.reconcile import (
    capture_approved,
    reconcile_pending,
    replay_undelivered_stripe_events,
)
from sync.context import JobContext
from sync.registry import job


@job(
    id="payments",
    interval=lambda s: s.sync_payments_interval,
    description="Confirm or expire orders whose payment webhooks never arrived.",
)
def payments(ctx: JobContext) -> None:
    grace = timedelta(minutes=ctx.settings.payment_grace_minutes)
    replayed = replay_undelivered_stripe_events(
        ctx.app, since=utcnow() - timedelta(days=3), dry_run=ctx.dry_run
    )
    pending = reconcile_pending(
        ctx.app,
        grace=grace,
        dry_run=ctx.dry_run,
        progress=lambda ids: list(ctx.progress(ids, label="orders")),
    )
    for report in (replayed, pending):
        ctx.tally(report)
        ctx.changed(report.changed)
        for line in report.notes:
            ctx.note(line)


@job(
    id="reservations",
    interval=lambda s: s.sync_reservations_interval,
    description="Give back limited stock held by orders whose payment window lapsed.",
)
def reservations(ctx: JobContext) -> None:
    # Orders past their payment window: the provider decides (paid late → confirmed; else the
    # order is cancelled and its reservations released, the Stripe session expired first).
    report = reconcile_pending(ctx.app, grace=timedelta(0), dry_run=ctx.dry_run, lapsed_only=True)
    ctx.tally(report)
    ctx.changed(report.changed)
    for line in report.notes:
        ctx.note(line)


@job(
    id="paypal-capture",
    interval=lambda s: s.sync_outbox_interval,
    description="Capture PayPal payments approved by webhook (idempotent per order).",
)
def paypal_capture(ctx: JobContext) -> None:
    if ctx.dry_run:
        ctx.note("dry run: captures are not attempted")
        return
    report = capture_approved(ctx.app)
    ctx.tally(report)
    ctx.changed(report.changed)
