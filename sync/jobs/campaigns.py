"""Newsletter campaigns written in the Studio → Mailchimp, exactly once per revision."""

from __future__ import annotations

from storefront.container import campaign_dispatcher
from sync.context import JobContext
from sync.registry import scheduled


@scheduled("campaigns")
def campaigns(ctx: JobContext) -> None:
    report = campaign_dispatcher(ctx.services).run(dry_run=ctx.dry_run)
    ctx.tally(report)
    ctx.changed(report.changed)
    ctx.skipped(report.skipped)
    for line in report.notes:
        ctx.note(line)
