"""A named lease in the ``leases`` table: at most one live sync process does the work.

Every operation is one conditional statement, so two processes racing on SQLite or
PostgreSQL cannot both win: taking over is an ``UPDATE … WHERE holder = me OR expired``
(the database re-checks the condition under the row lock), and a first claim is an
``INSERT … ON CONFLICT DO NOTHING`` on the primary key. A holder that crashes simply
stops renewing, and its lease lapses after ``ttl`` seconds.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from storefront.db import Database, insert_or_ignore, rows_matched, utcnow
from storefront.jobs.models import Lease as LeaseRow

Clock = Callable[[], datetime]


def default_holder() -> str:
    """``host:pid:random`` — unique per process start, readable in ``sync status``."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class LeaseState:
    name: str
    holder: str
    expires_at: datetime


class Lease:
    """``try_acquire()`` claims or renews; ``renew()`` only extends our own; ``release()`` frees."""

    def __init__(
        self,
        db: Database,
        name: str = "sync",
        holder: str | None = None,
        ttl: float = 90.0,
        *,
        clock: Clock = utcnow,
    ) -> None:
        if ttl <= 0:
            raise ValueError("lease ttl must be positive")
        self.db = db
        self.name = name
        self.holder = (holder or default_holder())[:128]
        self.ttl = timedelta(seconds=ttl)
        self._clock = clock
        self.expires_at: datetime | None = None  # our own view: when our claim lapses

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours (then it is renewed)."""
        now = self._clock()
        expires = now + self.ttl
        with self.db.session_scope(write=True) as session:
            taken = rows_matched(
                session,
                update(LeaseRow)
                .where(
                    LeaseRow.name == self.name,
                    or_(LeaseRow.holder == self.holder, LeaseRow.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=expires)
                .execution_options(synchronize_session=False),
            )
            if not taken:
                # No row, or a live one held by someone else: only an absent row can be won.
                taken = insert_or_ignore(
                    session,
                    LeaseRow,
                    {"name": self.name, "holder": self.holder, "expires_at": expires},
                )
        self.expires_at = expires if taken else None
        return bool(taken)

    def renew(self) -> bool:
        """Extend our lease; False when another process has taken it over (we lost it)."""
        expires = self._clock() + self.ttl
        with self.db.session_scope(write=True) as session:
            renewed = rows_matched(
                session,
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                .values(expires_at=expires)
                .execution_options(synchronize_session=False),
            )
        self.expires_at = expires if renewed else None
        return bool(renewed)

    def release(self) -> bool:
        """Give the lease up (clean shutdown) so a standby process takes over at once."""
        with self.db.session_scope(write=True) as session:
            released = rows_matched(
                session,
                delete(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                .execution_options(synchronize_session=False),
            )
        self.expires_at = None
        return bool(released)

    def is_held(self) -> bool:
        """Our own view (no query): True while our last claim or renewal has not lapsed."""
        return self.expires_at is not None and self._clock() < self.expires_at

    def current(self) -> LeaseState | None:
        """Who holds the lease according to the database (expired holders included)."""
        return read_lease(self.db, self.name)


def read_lease(db: Database, name: str = "sync") -> LeaseState | None:
    with db.session_scope() as session:
        row = session.execute(select(LeaseRow).where(LeaseRow.name == name)).scalar_one_or_none()
        if row is None:
            return None
        return LeaseState(row.name, row.holder, row.expires_at)
