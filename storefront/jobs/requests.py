"""Asking the sync process to run a job now (an operator's "sync inventory now").

The web process never runs a job itself: it leaves a request in the outbox, and the sync
process that holds the lease picks it up within a few seconds and runs the job through its
scheduler, exactly like a scheduled tick (so never twice at once). A request while one is
already waiting is the same request.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.jobs.schedule import PLANS
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry

TOPIC = "jobs.run"


def request_run(session: Session, job_id: str, *, actor: str) -> bool:
    """True when a new request was queued, False when one was already waiting."""
    if job_id not in PLANS:
        raise LookupError(f"no job {job_id!r}")
    waiting = session.execute(
        select(OutboxEntry.id).where(
            OutboxEntry.topic == TOPIC,
            OutboxEntry.status.in_((outbox.PENDING, outbox.SUBMITTING)),
            # by key, not payload: outbox payloads are sealed (storefront.fieldcrypt)
            func.substr(OutboxEntry.key, 1, len(job_id) + 1) == f"{job_id}:",
        )
    ).first()
    if waiting is not None:
        return False
    return outbox.enqueue(
        session, TOPIC, f"{job_id}:{uuid.uuid4().hex}", {"job": job_id, "actor": actor}
    )
