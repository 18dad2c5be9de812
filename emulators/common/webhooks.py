"""Outgoing webhooks of an emulator: an injectable sender, drops, duplicates, holds (delay),
out-of-order flushes and a record of every attempt."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

WSGIApp = Callable[..., Iterable[bytes]]
#: Sends one webhook: ``(url, body, headers) -> HTTP status``; raises on a network failure.
WebhookSender = Callable[[str, bytes, Mapping[str, str]], int]


def httpx_sender(timeout: float = 5.0) -> WebhookSender:
    """Deliver over the network (the default): one POST per attempt, with a timeout."""

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        with httpx.Client(timeout=timeout) as client:
            return client.post(url, content=body, headers=dict(headers)).status_code

    return send


def wsgi_sender(app: Any) -> WebhookSender:
    """Deliver straight into a WSGI app — a Flask app, or a Flask test client's app — with
    the webhook URL's host and path, no socket involved."""
    transport = httpx.WSGITransport(app=getattr(app, "application", app))

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        with httpx.Client(transport=transport) as client:
            return client.post(url, content=body, headers=dict(headers)).status_code

    return send


@dataclass
class WebhookAttempt:
    event_id: str
    url: str
    status: int | None
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Pending:
    event_id: str
    url: str
    body: bytes
    #: Called at each attempt: providers sign with the time of delivery, not of the event.
    headers: Callable[[bytes], Mapping[str, str]]
    seq: int = 0


@dataclass
class WebhookQueue:
    """Outgoing webhooks of one emulator.

    Delivery is synchronous at :meth:`enqueue` unless the webhook is held (``delay_next`` or
    ``hold_all``); held ones wait for :meth:`deliver_pending`, which can flush them in reverse
    to reproduce out-of-order arrival. ``on_result(event_id, ok)`` tells the emulator about each
    attempt (Stripe keeps per-event delivery success; a dropped webhook counts as failed).
    """

    sender: WebhookSender = field(default_factory=httpx_sender)
    on_result: Callable[[str, bool], None] | None = None
    clock: Callable[[], float] = time.time
    hold_all: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._pending: list[_Pending] = []
        self._failed: dict[str, _Pending] = {}
        self._attempts: list[WebhookAttempt] = []
        self._drop = 0
        self._duplicate: list[int] = []  # extra copies for each of the next webhooks
        self._hold = 0
        self._seq = itertools.count(1)

    # --- arming ----------------------------------------------------------------------------
    def drop_next(self, times: int = 1) -> None:
        """The next ``times`` webhooks are lost (recorded as failed deliveries)."""
        with self._lock:
            self._drop += times

    def duplicate_next(self, times: int = 1, copies: int = 1) -> None:
        """Each of the next ``times`` webhooks is delivered ``1 + copies`` times."""
        with self._lock:
            self._duplicate.extend([copies] * times)

    def delay_next(self, times: int = 1) -> None:
        """Hold the next ``times`` webhooks until :meth:`deliver_pending`."""
        with self._lock:
            self._hold += times

    def reset(self) -> None:
        with self._lock:
            self._drop, self._hold = 0, 0
            self._duplicate.clear()

    # --- delivery --------------------------------------------------------------------------
    def enqueue(
        self,
        event_id: str,
        url: str | None,
        body: bytes,
        headers: Callable[[bytes], Mapping[str, str]],
    ) -> None:
        """Send (or hold, or drop) one webhook. No ``url`` configured means nobody listens."""
        if not url:
            self._record(event_id, "", None, "no webhook url configured")
            return
        item = _Pending(event_id, url, body, headers, next(self._seq))
        with self._lock:
            if self._drop:
                self._drop -= 1
                self._failed[event_id] = item
                self._record(event_id, url, None, "dropped by fault injection")
                return
            copies = 1 + (self._duplicate.pop(0) if self._duplicate else 0)
            hold = self.hold_all or self._hold > 0
            if self._hold:
                self._hold -= 1
            if hold:
                self._pending.extend([item] * copies)
                return
        for _ in range(copies):
            self._attempt(item)

    def deliver_pending(self, *, reverse: bool = False) -> int:
        """Deliver every held webhook (oldest first, or newest first); returns how many."""
        with self._lock:
            batch, self._pending = self._pending, []
        if reverse:
            batch.reverse()
        for item in batch:
            self._attempt(item)
        return len(batch)

    def retry_failed(self) -> int:
        """Try again every webhook whose last attempt failed (the provider's retry schedule)."""
        with self._lock:
            batch = sorted(self._failed.values(), key=lambda p: p.seq)
            self._failed.clear()
        for item in batch:
            self._attempt(item)
        return len(batch)

    def _attempt(self, item: _Pending) -> None:
        status: int | None = None
        error: str | None = None
        try:
            status = self.sender(item.url, item.body, item.headers(item.body))
        except Exception as exc:  # any sender failure is a failed delivery, as at a provider
            error = f"{type(exc).__name__}: {exc}"
        attempt = self._record(item.event_id, item.url, status, error)
        with self._lock:
            if attempt.ok:
                self._failed.pop(item.event_id, None)
            else:
                self._failed[item.event_id] = item

    def _record(
        self, event_id: str, url: str, status: int | None, error: str | None
    ) -> WebhookAttempt:
        attempt = WebhookAttempt(event_id, url, status, error, self.clock())
        with self._lock:
            self._attempts.append(attempt)
        if self.on_result is not None:
            self.on_result(event_id, attempt.ok)
        return attempt

    # --- inspection ------------------------------------------------------------------------
    @property
    def attempts(self) -> list[WebhookAttempt]:
        with self._lock:
            return list(self._attempts)

    @property
    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pending": len(self._pending),
                "failed": sorted(self._failed),
                "hold_all": self.hold_all,
                "armed": {"drop": self._drop, "hold": self._hold, "duplicate": self._duplicate},
                "attempts": [
                    {"event_id": a.event_id, "url": a.url, "status": a.status, "error": a.error}
                    for a in self._attempts[-100:]
                ],
            }
