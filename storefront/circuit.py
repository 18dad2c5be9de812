"""Circuit breakers: stop calling an outside service that keeps failing, for a while.

One breaker per outside service (Gelato, Mailchimp, Sanity, Stripe, PayPal) in front of its
request path (:func:`storefront.http_retry.send_with_retries` and the Stripe gateway)::

    closed ──(N consecutive failed calls)──▶ open ──(cool-down over)──▶ half-open
      ▲                                       ▲                            │
      └──────────(the one trial call works)───┼────────────────────────────┤
                                              └──(the trial call fails)────┘

While open, a call fails at once with :class:`CircuitOpen` (no network, no retries), so a
caller's fallback (the shipping table, a stale cached page, "try again in a minute") is
immediate. In half-open exactly one caller, across every process sharing the state, makes
the trial call; the others still fail fast. Each state change is logged once — by the one
process that made it — never once per request.

A *failure* is an outage: no answer, a timeout, 429 or 5xx after the adapter's retries. A
4xx is the service answering (our request was wrong), so it counts as a success here.

State lives in the process (:class:`MemoryCircuitStore`) or, when ``REDIS_URL`` is set, in
Redis (:class:`RedisCircuitStore`) so every web and sync process sees the same circuit. We
wrote this (~150 lines) rather than use ``pybreaker``, whose breaker holds one lock for the
whole guarded call and so serialises every concurrent request to a service in a threaded
web process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from redis import Redis

if TYPE_CHECKING:
    from storefront.config import Settings

log = logging.getLogger(__name__)


class CircuitOpen(Exception):
    """The service is considered down; nothing was sent."""

    def __init__(self, service: str, retry_in: float) -> None:
        super().__init__(f"{service} is unavailable (circuit open); not calling it for now")
        self.service = service
        self.retry_in = retry_in


def circuit_open(exc: BaseException) -> bool:
    """Whether an adapter's error only says "not called: the circuit is open"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, CircuitOpen):
            return True
        seen = seen.__cause__
    return False


class CircuitStore(Protocol):
    """Shared state of the breakers: consecutive failures, an open-until deadline, a probe."""

    def failures(self, name: str) -> int: ...
    def add_failure(self, name: str) -> int: ...
    def reset(self, name: str) -> int:
        """Clear everything; returns the failure count there was."""
        ...

    def open_for(self, name: str, seconds: float) -> None: ...
    def open_remaining(self, name: str) -> float:
        """Seconds the circuit stays open (0 when not open)."""
        ...

    def claim_probe(self, name: str, seconds: float) -> bool:
        """Become the one trial caller (for at most ``seconds``); False if someone is."""
        ...

    def release_probe(self, name: str) -> None: ...


class MemoryCircuitStore:
    """This process only (the default, and enough for one web process)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._open_until: dict[str, float] = {}
        self._probe_until: dict[str, float] = {}

    def failures(self, name: str) -> int:
        return self._failures.get(name, 0)

    def add_failure(self, name: str) -> int:
        with self._lock:
            self._failures[name] = self._failures.get(name, 0) + 1
            return self._failures[name]

    def reset(self, name: str) -> int:
        with self._lock:
            self._open_until.pop(name, None)
            self._probe_until.pop(name, None)
            return self._failures.pop(name, 0)

    def open_for(self, name: str, seconds: float) -> None:
        with self._lock:
            self._open_until[name] = self._clock() + seconds

    def open_remaining(self, name: str) -> float:
        return max(0.0, self._open_until.get(name, 0.0) - self._clock())

    def claim_probe(self, name: str, seconds: float) -> bool:
        with self._lock:
            now = self._clock()
            if self._probe_until.get(name, 0.0) > now:
                return False
            self._probe_until[name] = now + seconds
            return True

    def release_probe(self, name: str) -> None:
        with self._lock:
            self._probe_until.pop(name, None)


def _count(reply: object) -> int:
    """A Redis reply that holds a number (a counter, a TTL) as an int; an absent key is 0.

    redis-py types every command's reply as ``Awaitable[Any] | Any``, because its blocking
    and asyncio clients share one signature; the blocking client returns the value itself.
    """
    if not reply:
        return 0
    if isinstance(reply, int | str | bytes):
        return int(reply)
    raise TypeError(f"not a number from Redis: {reply!r}")


class RedisCircuitStore:
    """Shared by every process that uses the same Redis (keys ``storefront:circuit:*``)."""

    def __init__(self, redis: Redis, prefix: str = "storefront:circuit") -> None:
        self._r = redis
        self._prefix = prefix

    def _key(self, name: str, part: str) -> str:
        return f"{self._prefix}:{name}:{part}"

    def failures(self, name: str) -> int:
        return _count(self._r.get(self._key(name, "failures")))

    def add_failure(self, name: str) -> int:
        return _count(self._r.incr(self._key(name, "failures")))

    def reset(self, name: str) -> int:
        pipe = self._r.pipeline()
        pipe.getdel(self._key(name, "failures"))
        pipe.delete(self._key(name, "open"), self._key(name, "probe"))
        before, _ = pipe.execute()
        return _count(before)

    def open_for(self, name: str, seconds: float) -> None:
        self._r.set(self._key(name, "open"), "1", px=max(1, int(seconds * 1000)))

    def open_remaining(self, name: str) -> float:
        ms = _count(self._r.pttl(self._key(name, "open")))
        return ms / 1000 if ms > 0 else 0.0

    def claim_probe(self, name: str, seconds: float) -> bool:
        key = self._key(name, "probe")
        return bool(self._r.set(key, "1", nx=True, px=max(1, int(seconds * 1000))))

    def release_probe(self, name: str) -> None:
        self._r.delete(self._key(name, "probe"))


@dataclass
class Ticket:
    """One admitted call; report how it ended with :meth:`CircuitBreaker.record`."""

    probe: bool


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        store: CircuitStore,
        *,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        probe_timeout: float = 60.0,
    ) -> None:
        if failure_threshold < 1 or cooldown <= 0:
            raise ValueError("a breaker needs a threshold >= 1 and a positive cool-down")
        self.name, self.store = name, store
        self.failure_threshold, self.cooldown = failure_threshold, cooldown
        self.probe_timeout = probe_timeout

    @property
    def state(self) -> str:
        if self.store.open_remaining(self.name) > 0:
            return "open"
        return "half-open" if self.store.failures(self.name) >= self.failure_threshold else "closed"

    def admit(self) -> Ticket:
        """Let a call through, or raise :class:`CircuitOpen` without calling."""
        remaining = self.store.open_remaining(self.name)
        if remaining > 0:
            raise CircuitOpen(self.name, remaining)
        if self.store.failures(self.name) < self.failure_threshold:
            return Ticket(probe=False)
        if not self.store.claim_probe(self.name, self.probe_timeout):
            raise CircuitOpen(self.name, 0.0)  # another caller is making the trial call
        log.info("circuit for %s half-open: one trial call", self.name)
        return Ticket(probe=True)

    def record(self, ticket: Ticket, *, failed: bool) -> None:
        if not failed:
            if self.store.reset(self.name) >= self.failure_threshold or ticket.probe:
                log.warning("circuit for %s closed: the service answers again", self.name)
            return
        count = self.store.add_failure(self.name)
        if ticket.probe:
            self.store.open_for(self.name, self.cooldown)
            self.store.release_probe(self.name)
            log.warning(
                "circuit for %s open again: the trial call failed; next try in %.0f s",
                self.name,
                self.cooldown,
            )
        elif count == self.failure_threshold:
            self.store.open_for(self.name, self.cooldown)
            log.warning(
                "circuit for %s open after %d consecutive failures: failing fast for %.0f s",
                self.name,
                count,
                self.cooldown,
            )

    def release(self, ticket: Ticket) -> None:
        """The call ended in a way that says nothing about the service's health."""
        if ticket.probe:
            self.store.release_probe(self.name)


class Breakers:
    """The breakers of one app, one per outside service, sharing one store."""

    def __init__(self, store: CircuitStore, *, failure_threshold: int, cooldown: float) -> None:
        self.store = store
        self._threshold, self._cooldown = failure_threshold, cooldown
        self._made: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> CircuitBreaker:
        with self._lock:
            if service not in self._made:
                self._made[service] = CircuitBreaker(
                    service,
                    self.store,
                    failure_threshold=self._threshold,
                    cooldown=self._cooldown,
                )
            return self._made[service]

    def states(self) -> dict[str, str]:
        return {name: breaker.state for name, breaker in sorted(self._made.items())}


def breakers_from_settings(settings: Settings) -> Breakers:
    """Shared through Redis when ``REDIS_URL`` is set, else per process."""
    store: CircuitStore
    if settings.redis_url:
        store = RedisCircuitStore(
            Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        )
    else:
        store = MemoryCircuitStore()
    return Breakers(
        store,
        failure_threshold=settings.circuit_failure_threshold,
        cooldown=settings.circuit_cooldown,
    )
