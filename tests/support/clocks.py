"""Clocks a test moves by hand instead of sleeping; the code under test takes its clock as an
argument (or, for a module that calls ``time.time()``, the test puts :class:`Seconds` in
place of its ``time``). Tests that need real time to go on passing (a server that must still
answer) move an offset instead: ``tests/payments/support.py``, ``tests/campaigns``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Seconds:
    """Stands in for ``time.monotonic`` or ``time.time``: a number of seconds set by the test."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class Instant:
    """Stands in for ``utcnow``: an aware UTC datetime set by the test."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        self.now += timedelta(seconds=seconds, **delta)
        return self.now
