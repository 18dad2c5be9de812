"""Enqueue, claim and settle outbox entries.

Claiming is safe with several workers: on PostgreSQL rows are picked with
``FOR UPDATE SKIP LOCKED`` and leased; on SQLite the writer lock serialises claims. A worker
that dies leaves a lease that expires, so its entries are picked up again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storefront.db import Database, insert_or_ignore, utcnow
from storefront.outbox.models import OutboxEntry

PENDING, SUBMITTING, DONE, PARKED = "pending", "submitting", "done", "parked"


@dataclass(frozen=True)
class Claimed:
    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    attempts: int
    status_before: str


def enqueue(
    session: Session,
    topic: str,
    key: str,
    payload: dict[str, Any] | None = None,
    *,
    available_at: datetime | None = None,
) -> bool:
    """Add work in the caller's transaction; a second enqueue of (topic, key) is a no-op."""
    now = utcnow()
    return insert_or_ignore(
        session,
        OutboxEntry,
        {
            "topic": topic,
            "key": key,
            "payload": payload or {},
            "status": PENDING,
            "attempts": 0,
            "available_at": available_at or now,
            "created_at": now,
            "updated_at": now,
        },
    )


def claim(
    db: Database,
    topic: str,
    worker: str,
    *,
    limit: int = 10,
    lease: timedelta = timedelta(minutes=5),
) -> list[Claimed]:
    """Lease up to ``limit`` due entries of ``topic`` to ``worker``.

    Entries left in ``submitting`` by a crashed worker come back once their lease expires;
    the caller sees ``status_before == "submitting"`` and must check what happened before
    doing the work again.
    """
    now = utcnow()
    with db.session_scope(write=True) as session:
        stmt = (
            select(OutboxEntry)
            .where(
                OutboxEntry.topic == topic,
                OutboxEntry.status.in_((PENDING, SUBMITTING)),
                OutboxEntry.available_at <= now,
                or_(OutboxEntry.locked_until.is_(None), OutboxEntry.locked_until < now),
            )
            .order_by(OutboxEntry.available_at, OutboxEntry.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = session.execute(stmt).scalars().all()
        claimed = []
        for row in rows:
            claimed.append(
                Claimed(row.id, row.topic, row.key, dict(row.payload), row.attempts, row.status)
            )
            row.locked_by = worker
            row.locked_until = now + lease
            row.attempts += 1
        return claimed


def mark_submitting(session: Session, entry_id: int) -> None:
    """Record, before the outside call, that the call may have happened."""
    session.get_one(OutboxEntry, entry_id).status = SUBMITTING


def complete(session: Session, entry_id: int) -> None:
    row = session.get_one(OutboxEntry, entry_id)
    row.status, row.locked_by, row.locked_until, row.last_error = DONE, None, None, None


def retry_later(
    session: Session,
    entry_id: int,
    error: str,
    *,
    attempts: int,
    base: float = 10.0,
    cap: float = 3600.0,
) -> datetime:
    """Exponential backoff with full jitter; keeps ``submitting`` if the call was ambiguous."""
    row = session.get_one(OutboxEntry, entry_id)
    delay = random.uniform(0, min(cap, base * 2 ** max(attempts - 1, 0)))
    row.available_at = utcnow() + timedelta(seconds=delay)
    row.locked_by, row.locked_until, row.last_error = None, None, error[:2000]
    return row.available_at


def park(session: Session, entry_id: int, error: str) -> None:
    """A permanent failure: stop retrying until an operator acts."""
    row = session.get_one(OutboxEntry, entry_id)
    row.status, row.locked_by, row.locked_until, row.last_error = PARKED, None, None, error[:2000]


def requeue(session: Session, topic: str, key: str) -> bool:
    """An operator's retry: the entry runs again from scratch (it may exist already)."""
    row = session.execute(
        select(OutboxEntry).where(OutboxEntry.topic == topic, OutboxEntry.key == key)
    ).scalar_one_or_none()
    if row is None:
        return False
    row.status, row.available_at, row.locked_until, row.locked_by = PENDING, utcnow(), None, None
    row.attempts, row.last_error = 0, None
    return True
