"""Bounded, jittered exponential backoff: the one retry rule our HTTP adapters share.

(Kept here until a project-wide ``storefront/http.py`` exists; the newsletter adapter uses it
too.) "Full jitter": each wait is uniform in ``[0, min(max_delay, base * 2**n)]`` so that many
workers retrying after the same outage do not hit the provider in lock-step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` is the total number of tries (1 = no retry)."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based); honours Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * (2**retry_number))
        wait = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait

    def pause(self, retry_number: int, retry_after: float | None = None) -> None:
        self.sleep(self.delay(retry_number, retry_after))


NO_RETRY = RetryPolicy(attempts=1)


def retry_after_seconds(value: str | None) -> float | None:
    """A numeric Retry-After header in seconds (HTTP dates are ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
