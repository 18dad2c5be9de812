"""The outbox: push paid orders to Gelato and send queued e-mails."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.fulfillment.push import TOPIC, push_due
from storefront.mail.messages import TOPIC as MAIL_TOPIC
from storefront.mail.worker import deliver_due
from storefront.outbox.models import OutboxEntry
from storefront.outbox.services import PENDING, SUBMITTING
from sync.context import JobContext
from sync.registry import scheduled


def _due(ctx: JobContext, topic: str) -> int:
    with ctx.db.session_scope() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.topic == topic, OutboxEntry.status.in_((PENDING, SUBMITTING)))
            )
            or 0
        )


@scheduled("fulfillment-push")
def fulfillment_push(ctx: JobContext) -> None:
    if ctx.dry_run:
        ctx.read(_due(ctx, TOPIC))
        ctx.note(f"would push {ctx.counts.read} order(s) to Gelato")
        return
    while True:
        found = ctx.services
        report = push_due(
            found.db,
            found.gelato,
            order_type=ctx.settings.gelato_order_type,
            limit=25,
            lease=ctx.claim_lease,
        )
        ctx.tally(report)
        ctx.changed(report.pushed + report.found)
        ctx.skipped(report.skipped)
        for line in report.notes:
            ctx.note(line)
        if not (report.pushed or report.found):
            break


@scheduled("mail")
def mail(ctx: JobContext) -> None:
    if ctx.dry_run:
        ctx.read(_due(ctx, MAIL_TOPIC))
        ctx.note(f"would send {ctx.counts.read} e-mail(s)")
        return
    report = deliver_due(ctx.services.postman, limit=200, lease=ctx.claim_lease)
    ctx.tally(report)
    ctx.changed(report.sent)
