"""How the shop calls an outside service over HTTP — the one rule every adapter shares
(Gelato, Mailchimp, Sanity, PayPal): a circuit breaker in front (:mod:`storefront.circuit`),
then bounded, jittered exponential backoff for safe calls, one try for unsafe ones.

"Full jitter" (the default): each wait is uniform in ``[0, min(max_delay, base * 2**n)]`` so
that many workers retrying after the same outage do not hit the provider in lock-step.
"Added jitter" is ``min(max_delay, base * 2**n) + uniform(0, base)``, the schedule Sanity's
own client documents (``100·2^n + rand(0..100)`` ms), used for the content API.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from storefront.circuit import CircuitBreaker, CircuitOpen


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` is the total number of tries (1 = no retry)."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    jitter: Literal["full", "added"] = "full"
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based); honours Retry-After."""
        ceiling: float = min(self.max_delay, self.base_delay * (2**retry_number))
        if self.jitter == "added":
            wait = ceiling + self.rng.uniform(0, self.base_delay)
        else:
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


def struggling(status: int) -> bool:
    """An answer that means "the service is struggling": retried, and counted by the breaker."""
    return status == 429 or status >= 500


def send_with_retries(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    *,
    unreachable: Callable[[httpx.TransportError], Exception],
    broken: Callable[[httpx.HTTPError], Exception],
    exhausted: Callable[[httpx.Response], Exception],
    breaker: CircuitBreaker | None = None,
    unavailable: Callable[[CircuitOpen], Exception] | None = None,
    retry_on: Callable[[int], bool] = struggling,
    on_retry: Callable[[], None] | None = None,
) -> httpx.Response:
    """Call ``send`` until it answers neither a network error, 429 nor 5xx, at most
    ``policy.attempts`` times, and return that answer (2xx-4xx: the caller judges it).

    Retry only safe calls (pass :data:`NO_RETRY` for the rest): a retried create could
    create twice. The callables build the adapter's own error for a network failure on the
    last try, any other httpx error (not retried), a 429/5xx on the last try and, with a
    ``breaker``, for a circuit that is open (nothing is sent then).
    """
    ticket = None
    if breaker is not None:
        try:
            ticket = breaker.admit()
        except CircuitOpen as exc:
            raise (unavailable(exc) if unavailable else exc) from exc
    failed: bool | None = None
    try:
        attempts = max(1, policy.attempts)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = send()
            except httpx.TransportError as exc:
                if last:
                    failed = True
                    raise unreachable(exc) from exc
                if on_retry:
                    on_retry()
                policy.pause(attempt)
                continue
            except httpx.HTTPError as exc:
                raise broken(exc) from exc
            if retry_on(response.status_code) and not last:
                response.close()
                if on_retry:
                    on_retry()
                policy.pause(attempt, retry_after_seconds(response.headers.get("retry-after")))
                continue
            failed = struggling(response.status_code)
            if failed and retry_on(response.status_code):
                raise exhausted(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        if breaker is not None and ticket is not None:
            if failed is None:
                breaker.release(ticket)
            else:
                breaker.record(ticket, failed=failed)
