"""Review invites: ask consenting buyers about what was delivered, once per order."""

from __future__ import annotations

from datetime import timedelta

from storefront.reviews.invites import send_invites
from storefront.reviews.links import optout_url, review_url
from sync.context import JobContext
from sync.registry import scheduled


@scheduled("review-invites")
def review_invites(ctx: JobContext) -> None:
    report = send_invites(
        ctx.services.db,
        delay=timedelta(days=ctx.settings.review_invite_delay_days),
        review_link=review_url,
        optout_link=optout_url,
        dry_run=ctx.dry_run,
    )
    ctx.tally(report)
    ctx.changed(report.sent)
    for line in report.notes:
        ctx.note(line)
