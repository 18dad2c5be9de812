"""Recording and applying content invalidations (see :mod:`storefront.content.models`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.content.models import ContentInvalidation
from storefront.db import Database, utcnow


def record(session: Session, changes: Iterable[tuple[str, str | None]], *, source: str) -> int:
    rows = [
        ContentInvalidation(
            document_id=doc_id.removeprefix("drafts."),
            document_type=doc_type,
            source=source,
            created_at=utcnow(),
        )
        for doc_id, doc_type in changes
    ]
    session.add_all(rows)
    return len(rows)


def unrecorded(session: Session, changes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``{_id, _type, _updatedAt}`` changes not yet logged: no invalidation of the
    document at or after its ``_updatedAt`` (its webhook arrived, or an earlier sweep)."""
    changes = list(changes)
    ids = {c["_id"].removeprefix("drafts.") for c in changes}
    latest = dict(
        session.execute(
            select(ContentInvalidation.document_id, func.max(ContentInvalidation.created_at))
            .where(ContentInvalidation.document_id.in_(ids))
            .group_by(ContentInvalidation.document_id)
        ).all()
    )
    out = []
    for change in changes:
        seen = latest.get(change["_id"].removeprefix("drafts."))
        updated = change.get("_updatedAt")
        if seen is None or updated is None or seen < datetime.fromisoformat(updated):
            out.append(change)
    return out


class InvalidationFollower:
    """Applies new invalidation rows to this process's cache, at most once per ``interval``."""

    def __init__(
        self,
        db: Database,
        apply: Callable[[str, str | None], object],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.apply, self.interval, self.clock = db, apply, interval, clock
        self._last_id: int | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        """The newest invalidation applied here (the log's id): moves on with every publish."""
        return self._last_id or 0

    def start_from_now(self) -> None:
        with self.db.session_scope() as session:
            self._last_id = session.scalar(select(func.max(ContentInvalidation.id))) or 0

    def poll(self, *, force: bool = False) -> int:
        now = self.clock()
        if not force and now - self._checked < self.interval:
            return 0
        if not self._lock.acquire(blocking=False):
            return 0  # another thread of this process is already looking
        try:
            self._checked = now
            if self._last_id is None:
                self.start_from_now()
                return 0
            with self.db.session_scope() as session:
                rows = session.execute(
                    select(
                        ContentInvalidation.id,
                        ContentInvalidation.document_id,
                        ContentInvalidation.document_type,
                    )
                    .where(ContentInvalidation.id > self._last_id)
                    .order_by(ContentInvalidation.id)
                    .limit(5000)
                ).all()
            for row_id, doc_id, doc_type in rows:
                self.apply(doc_id, doc_type)
                self._last_id = row_id
            return len(rows)
        finally:
            self._lock.release()
