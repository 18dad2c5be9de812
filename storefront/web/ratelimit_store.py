"""Rate-limit counters kept in this process: one lock, no timer threads.

Flask-Limiter counts with the ``limits`` library. Its ``memory://`` store expires counters
with a ``threading.Timer`` that each request restarts by checking "is it alive?" and then
"start it" without a lock, so two requests at the same moment can start the same timer twice:
one request fails ("threads can only be started once"), the other thread dies in Python's
thread bookkeeping (seen with 20 shoppers pressing "Pay" at once). It also starts a thread for
almost every limited request. This store keeps the fixed-window counters the limiter uses
(``RATELIMIT_STRATEGY`` is left at ``fixed-window``) in one dict under one lock; a counter
whose window has ended reads as zero, and ended windows are swept at most once a minute.

It counts for one process. ``REDIS_URL`` gives several processes one count.
"""

from __future__ import annotations

import threading
import time

from limits.storage import Storage

SCHEME = "process-memory"
SWEEP_EVERY = 60.0  # seconds between sweeps of ended windows


class ProcessMemoryStorage(Storage):
    """``process-memory://``: fixed-window counters for one process, safe across threads."""

    STORAGE_SCHEME = [SCHEME]  # registers the scheme with ``limits.storage_from_string``

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (count, window ends at)
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._lock:
            now = time.time()
            if now >= self._next_sweep:
                self._sweep(now)
            count, ends = self._windows.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + expiry
            count += amount
            self._windows[key] = (count, ends)
            return count

    def get(self, key: str) -> int:
        with self._lock:
            count, ends = self._windows.get(key, (0, 0.0))
            return count if ends > time.time() else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._lock:
            _, ends = self._windows.get(key, (0, 0.0))
        return ends if ends > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            dropped = len(self._windows)
            self._windows.clear()
            return dropped

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def counters(self) -> int:
        """Counters held now, ended windows not yet swept included (not ``__len__``: an empty
        store must stay truthy, Flask-Limiter asserts ``limiter.storage``)."""
        with self._lock:
            return len(self._windows)

    def _sweep(self, now: float) -> None:
        self._windows = {key: kept for key, kept in self._windows.items() if kept[1] > now}
        self._next_sweep = now + SWEEP_EVERY
