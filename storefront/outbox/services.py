"""Enqueue, claim and settle outbox entries.

Claiming is safe with several workers: on PostgreSQL rows are picked with
``FOR UPDATE SKIP LOCKED`` and leased; on SQLite the writer lock serialises claims.

A claim is a short lease (``OUTBOX_LEASE``, 45 s) kept alive by a heartbeat while the
worker is working (:func:`claimed`): a live worker keeps its entries however long the work
takes, and a worker that dies stops renewing, so its entries are due again within one lease
(and picked up by the next pass of any worker). A worker whose claim lapsed anyway (its whole
process stalled) must not start the outside call: :func:`mark_submitting` refuses it.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from storefront.db import Database, insert_or_ignore, utcnow
from storefront.outbox.models import OutboxEntry

PENDING, SUBMITTING, DONE, PARKED = "pending", "submitting", "done", "parked"
#: How long a claim lasts unless its heartbeat renews it (the ``OUTBOX_LEASE`` default).
DEFAULT_LEASE = timedelta(seconds=45)

_log = structlog.get_logger("storefront.outbox")


@dataclass(frozen=True)
class Claimed:
    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    attempts: int
    status_before: str
    #: Who holds the claim (``claim``'s ``worker``).
    worker: str = ""


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
    lease: timedelta = DEFAULT_LEASE,
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
                Claimed(
                    row.id, row.topic, row.key, dict(row.payload), row.attempts, row.status, worker
                )
            )
            row.locked_by = worker
            row.locked_until = now + lease
            row.attempts += 1
        return claimed


def renew(db: Database, worker: str, ids: Sequence[int], lease: timedelta) -> int:
    """Extend the claims ``worker`` still holds among ``ids``; returns how many it holds."""
    with db.session_scope(write=True) as session:
        result = session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id.in_(list(ids)),
                OutboxEntry.locked_by == worker,
                OutboxEntry.status.in_((PENDING, SUBMITTING)),
            )
            .values(locked_until=utcnow() + lease)
            .execution_options(synchronize_session=False)
        )
    return cast("CursorResult[Any]", result).rowcount


class Heartbeat:
    """A thread renewing a worker's claims every third of the lease until stopped (or until
    the worker holds none of them any more)."""

    def __init__(self, db: Database, worker: str, ids: Sequence[int], lease: timedelta) -> None:
        self.db, self.worker, self.ids, self.lease = db, worker, list(ids), lease
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"outbox-heartbeat-{worker}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        every = self.lease.total_seconds() / 3
        while not self._stop.wait(every):
            try:
                held = renew(self.db, self.worker, self.ids, self.lease)
            except Exception:  # the database is away: try again; the lease may lapse meanwhile
                _log.warning("outbox.heartbeat_failed", worker=self.worker, exc_info=True)
                continue
            self.beats += 1
            if not held:
                return


@contextlib.contextmanager
def claimed(
    db: Database,
    topic: str,
    worker: str,
    *,
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
) -> Iterator[list[Claimed]]:
    """:func:`claim`, with a heartbeat keeping the claims alive while the caller works on
    them; ``lease`` bounds how long a *dead* worker's entries wait, not how long work takes."""
    entries = claim(db, topic, worker, limit=limit, lease=lease)
    if not entries:
        yield entries
        return
    with Heartbeat(db, worker, [e.id for e in entries], lease):
        yield entries


def mark_submitting(session: Session, entry_id: int, *, worker: str | None = None) -> bool:
    """Record, before the outside call, that the call may have happened.

    With ``worker``: only while that worker's claim is live. False means it lapsed (the
    process stalled past its lease) and another worker may have taken the entry over: the
    caller must not make the call."""
    stmt = update(OutboxEntry).where(OutboxEntry.id == entry_id)
    if worker is not None:
        stmt = stmt.where(OutboxEntry.locked_by == worker, OutboxEntry.locked_until > utcnow())
    result = session.execute(
        stmt.values(status=SUBMITTING).execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def complete(session: Session, entry_id: int, *, forget_payload: bool = False) -> None:
    """Done. ``forget_payload`` empties the payload too, for work whose payload names a person
    who asked to be forgotten (the entry stays, so the same key is never queued again)."""
    row = session.get_one(OutboxEntry, entry_id)
    row.status, row.locked_by, row.locked_until, row.last_error = DONE, None, None, None
    if forget_payload:
        row.payload = {}


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
    """A permanent failure: stop retrying until an operator acts (and tell them: the error
    log line reaches error reporting when it is configured)."""
    row = session.get_one(OutboxEntry, entry_id)
    row.status, row.locked_by, row.locked_until, row.last_error = PARKED, None, None, error[:2000]
    _log.error(
        "outbox.parked",
        topic=row.topic,
        key=row.key,
        attempts=row.attempts,
        error=error[:500],
    )


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
