"""Bounded, jittered exponential backoff: the one retry rule our HTTP adapters share
(Gelato, Mailchimp), and the loop that applies it to safe calls.

"Full jitter": each wait is uniform in ``[0, min(max_delay, base * 2**n)]`` so that many
workers retrying after the same outage do not hit the provider in lock-step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


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


def send_with_retries(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    *,
    unreachable: Callable[[httpx.TransportError], Exception],
    broken: Callable[[httpx.HTTPError], Exception],
    exhausted: Callable[[httpx.Response], Exception],
) -> httpx.Response:
    """Call ``send`` until it answers neither a network error, 429 nor 5xx, at most
    ``policy.attempts`` times, and return that answer (2xx-4xx: the caller judges it).

    Only for safe calls: a retried create could create twice. The three callables build the
    adapter's own error for a network failure on the last try, any other httpx error (not
    retried), and a 429/5xx on the last try.
    """
    attempts = max(1, policy.attempts)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = send()
        except httpx.TransportError as exc:
            if last:
                raise unreachable(exc) from exc
            policy.pause(attempt)
            continue
        except httpx.HTTPError as exc:
            raise broken(exc) from exc
        if response.status_code == 429 or response.status_code >= 500:
            if last:
                raise exhausted(response)
            policy.pause(attempt, retry_after_seconds(response.headers.get("retry-after")))
            continue
        return response
    raise AssertionError("unreachable")  # pragma: no cover
