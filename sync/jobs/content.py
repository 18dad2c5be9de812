"""The sweep behind publish webhooks: Sanity retries a webhook only twice, so every minute
this job asks what changed since its last good run and logs it for every web process."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.content.invalidation import record, unrecorded
from storefront.db import utcnow
from storefront.jobs.models import JobRun
from storefront.jobs.outcomes import SUCCEEDED
from sync.context import JobContext
from sync.registry import scheduled

CHANGED_SINCE = '*[!(_id in path("drafts.**")) && _updatedAt > $since]{_id, _type, _updatedAt}'
OVERLAP = timedelta(seconds=30)


@scheduled("content-sweep")
def content_sweep(ctx: JobContext) -> None:
    with ctx.db.session_scope() as session:
        last = (
            session.execute(
                select(JobRun.started_at)
                .where(
                    JobRun.job_id == "content-sweep",
                    JobRun.outcome == SUCCEEDED,
                    JobRun.dry_run.is_(False),
                )
                .order_by(JobRun.started_at.desc())
            )
            .scalars()
            .first()
        )
    since = (last or utcnow() - timedelta(minutes=10)) - OVERLAP
    client = ctx.services.content.public
    changed = (
        client.query(
            CHANGED_SINCE,
            {"since": since.isoformat().replace("+00:00", "Z")},
            perspective="published",
            use_cdn=False,
        )
        or []
    )
    ctx.read(len(changed))
    with ctx.db.session_scope(write=not ctx.dry_run) as session:
        missed = unrecorded(session, changed)
        for doc in missed:
            ctx.note(f"{doc['_type']} {doc['_id']} changed")
        if missed and not ctx.dry_run:
            record(session, [(d["_id"], d.get("_type")) for d in missed], source="sweep")
            ctx.changed(len(missed))
