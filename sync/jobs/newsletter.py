"""Newsletter reconcile with the e-mail provider (Mailchimp first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storefront.jobs.models import JobRun
from storefront.jobs.outcomes import PARTIAL, SUCCEEDED
from storefront.newsletter.sync import reconcile
from sync.context import JobContext
from sync.registry import scheduled


def last_success(ctx: JobContext) -> datetime | None:
    """Start of the last real run that pulled the provider's changes. A partial run did: a
    failing pull raises (a ``failed`` run), only pushes and deletions fail item by item."""
    with ctx.db.session_scope() as session:
        return (
            session.execute(
                select(JobRun.started_at)
                .where(
                    JobRun.job_id == "newsletter",
                    JobRun.outcome.in_((SUCCEEDED, PARTIAL)),
                    JobRun.dry_run.is_(False),
                )
                .order_by(JobRun.started_at.desc())
            )
            .scalars()
            .first()
        )


@scheduled("newsletter")
def newsletter(ctx: JobContext) -> None:
    report = reconcile(
        ctx.services.db, ctx.services.mailing_list, since=last_success(ctx), dry_run=ctx.dry_run
    )
    ctx.tally(report)
    ctx.changed(report.changed)
    ctx.skipped(report.skipped)
    for line in report.notes:
        ctx.note(line)
