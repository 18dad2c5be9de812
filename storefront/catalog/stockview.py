"""Limited editions' stock as the shop front shows it: the counters read once a second.

A catalog page shows "only 3 left" and "sold out" from the stock counters. Reading them on
every page view cost a database round trip per view; instead each process keeps a snapshot
of the (small) counters table, read again when it is more than ``interval`` old — the same
bound within which a publish reaches every process (:mod:`storefront.content.invalidation`).
Only pages use it: checkout reserves atomically against the table
(:mod:`storefront.stock.services`) and the cart's offers read the table itself, so a count
a second old can never sell a shirt that is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select

from storefront.db import Database
from storefront.stock.models import StockCounter

Counts = dict[tuple[str, str], tuple[int, datetime | None]]


def read_counters(db: Database, product_ids: Iterable[str] | None = None) -> Counts:
    """``(product id, variant key) → (left, updated_at)``, for some products or all."""
    c = StockCounter
    query = select(c.product_id, c.variant_key, c.limit, c.reserved, c.updated_at)
    if product_ids is not None:
        query = query.where(c.product_id.in_(list(product_ids)))
    with db.session_scope() as session:
        rows = session.execute(query).all()
    return {
        (r.product_id, r.variant_key): (max(r.limit - r.reserved, 0), r.updated_at) for r in rows
    }


class StockSnapshot:
    def __init__(
        self,
        db: Database,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.interval, self.clock = db, interval, clock
        self._counts: Counts | None = None
        self._read_at = float("-inf")
        #: moves on with every read of the table
        self.reads = 0
        self._lock = threading.Lock()

    def counts(self) -> Counts:
        """The snapshot, read again when it is older than ``interval``. While one thread reads,
        the others keep using the previous snapshot (the first read is waited for)."""
        if self._counts is not None and self.clock() - self._read_at < self.interval:
            return self._counts
        blocking = self._counts is None
        if not self._lock.acquire(blocking=blocking):
            assert self._counts is not None
            return self._counts
        try:
            if self._counts is None or self.clock() - self._read_at >= self.interval:
                started = self.clock()
                self._counts = read_counters(self.db)
                self._read_at = started
                self.reads += 1
            return self._counts
        finally:
            self._lock.release()
