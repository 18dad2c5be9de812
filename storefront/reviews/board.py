"""Approved reviews as the shop front shows them, read at most once a second per process.

Every catalog page shows stars, so reading the reviews table on each view would cost a
round trip per page. Like the stock snapshot (:mod:`storefront.catalog.stockview`), each
process keeps what pages show and asks the table only whether anything was moderated since
(one small query a second); a moderation decision in this process expires it at once, in
another within ``interval``. Its :attr:`version` goes into the pages' cache keys and ETags,
so a decision reaches cached product pages too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from storefront.db import Database
from storefront.reviews import services as reviews
from storefront.reviews.services import ShownReview, Summary


class ReviewBoard:
    def __init__(
        self,
        db: Database,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.interval, self.clock = db, interval, clock
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._version: tuple[int, str] | None = None
        self._summaries: dict[str, Summary] = {}
        self._shown: dict[str, list[ShownReview]] = {}

    def expire(self) -> None:
        """Read again on the next use (after a moderation decision in this process)."""
        with self._lock:
            self._checked_at = float("-inf")

    @property
    def version(self) -> tuple[int, str]:
        """(decisions ever made, time of the newest): moves with every decision."""
        self._refresh()
        assert self._version is not None
        return self._version

    def summary(self, product_id: str) -> Summary | None:
        self._refresh()
        return self._summaries.get(product_id)

    def summaries(self) -> dict[str, Summary]:
        self._refresh()
        return self._summaries

    def shown(self, product_id: str) -> list[ShownReview]:
        self._refresh()
        found = self._shown.get(product_id)
        if found is None:
            seen = self._version
            with self.db.session_scope() as session:
                found = reviews.approved(session, product_id)
            with self._lock:
                if self._version == seen:  # not a list older than a decision read meanwhile
                    self._shown[product_id] = found
        return found

    def _refresh(self) -> None:
        if self._version is not None and self.clock() - self._checked_at < self.interval:
            return
        with self._lock:
            if self._version is not None and self.clock() - self._checked_at < self.interval:
                return
            started = self.clock()
            with self.db.session_scope() as session:
                version = reviews.version(session)
                if version != self._version:
                    self._summaries = reviews.summaries(session)
                    self._shown = {}
                    self._version = version
            self._checked_at = started
