"""GROQ-powered document webhooks, sent after each committed transaction like Sanity does.

For each configured webhook and each changed document that passes the filter (evaluated on
the document after the change, or before it for a delete — the engine has no delta
functions, so ``before()``/``after()`` filters are not supported and count as no match), the
projected body is sent with Sanity's headers and, when a secret is set, a
``sanity-webhook-signature`` made by :mod:`contentlake.signing`.

Delivery goes through an injectable sender. :class:`HttpSender` posts with httpx, retrying
429/5xx/network failures twice at a short interval (Sanity: twice, 30 s apart), in a
background thread or synchronously (tests). :meth:`WebhookDispatcher.drop_next` loses
deliveries on purpose, for the "lost webhook" tests.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from contentlake.mutations import random_id
from contentlake.signing import HEADER_NAME, signature_header
from contentlake.store import Change, CommittedTransaction, is_published_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookConfig:
    """One document webhook, as configured in sanity.io/manage."""

    url: str
    filter: str = ""
    projection: str = ""
    secret: str | None = None
    include_drafts: bool = False
    http_method: str = "POST"
    on: tuple[str, ...] = ("create", "update", "delete")
    id: str = field(default_factory=lambda: random_id(16))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "on" in known:
            known["on"] = tuple(known["on"])
        return cls(**known)


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    method: str
    url: str
    body: bytes
    headers: dict[str, str]
    document_id: str
    operation: str


#: Sends one delivery; returns the HTTP status or raises on a network failure.
SendOnce = Callable[[Delivery], int]


def deliver_with_retries(
    delivery: Delivery,
    send_once: SendOnce,
    *,
    retries: int = 2,
    retry_delay: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> int | None:
    """Sanity's policy: 2xx done; 4xx other than 429 given up; 429/5xx/network retried."""
    status: int | None = None
    for attempt in range(retries + 1):
        try:
            status = send_once(delivery)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("webhook %s to %s failed: %s", delivery.webhook_id, delivery.url, exc)
            status = None
        if status is not None and (200 <= status < 300 or (400 <= status < 500 and status != 429)):
            return status
        if attempt < retries:
            sleep(retry_delay)
    return status


class HttpSender:
    """Posts deliveries with httpx (timeout always set), in a worker thread unless
    ``background=False``. ``results`` records ``(delivery, final status or None)``."""

    def __init__(
        self,
        http: httpx.Client | None = None,
        *,
        background: bool = True,
        timeout: float = 30.0,
        retries: int = 2,
        retry_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http or httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._retries = retries
        self._retry_delay = retry_delay
        self._sleep = sleep
        self.results: list[tuple[Delivery, int | None]] = []
        self._queue: queue.Queue[Delivery | None] | None = None
        self._thread: threading.Thread | None = None
        if background:
            self._queue = queue.Queue()
            self._thread = threading.Thread(target=self._run, name="lake-webhooks", daemon=True)
            self._thread.start()

    def _send_once(self, delivery: Delivery) -> int:
        response = self._http.request(
            delivery.method,
            delivery.url,
            content=delivery.body,
            headers=delivery.headers,
            timeout=self._timeout,
        )
        return response.status_code

    def _deliver(self, delivery: Delivery) -> None:
        status = deliver_with_retries(
            delivery,
            self._send_once,
            retries=self._retries,
            retry_delay=self._retry_delay,
            sleep=self._sleep,
        )
        self.results.append((delivery, status))

    def _run(self) -> None:
        assert self._queue is not None
        while (delivery := self._queue.get()) is not None:
            try:
                self._deliver(delivery)
            except Exception:  # a sender thread must survive anything
                log.exception("webhook delivery crashed")
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def __call__(self, delivery: Delivery) -> None:
        if self._queue is None:
            self._deliver(delivery)
        else:
            self._queue.put(delivery)

    def join(self) -> None:
        """Wait until every queued delivery is done (tests, shutdown)."""
        if self._queue is not None:
            self._queue.join()

    def close(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
        self._http.close()


class WebhookDispatcher:
    """Store listener turning committed transactions into webhook deliveries."""

    def __init__(
        self,
        webhooks: Iterable[WebhookConfig | dict[str, Any]],
        *,
        project_id: str,
        dataset: str,
        sender: Callable[[Delivery], object] | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.webhooks = [
            w if isinstance(w, WebhookConfig) else WebhookConfig.from_dict(w) for w in webhooks
        ]
        self.project_id = project_id
        self.dataset = dataset
        self._sender = sender
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Lock()
        self._drop = 0
        self.emitted: list[Delivery] = []
        self.dropped: list[Delivery] = []

    @property
    def sender(self) -> Callable[[Delivery], object]:
        if self._sender is None:
            self._sender = HttpSender()
        return self._sender

    def drop_next(self, count: int = 1) -> None:
        """Lose the next ``count`` deliveries (recorded in ``dropped``)."""
        with self._lock:
            self._drop += count

    def __call__(self, transaction: CommittedTransaction) -> None:
        for webhook in self.webhooks:
            for change in transaction.changes:
                delivery = self._build(webhook, transaction, change)
                if delivery is None:
                    continue
                with self._lock:
                    self.emitted.append(delivery)
                    if self._drop > 0:
                        self._drop -= 1
                        self.dropped.append(delivery)
                        continue
                self.sender(delivery)

    def _build(
        self, webhook: WebhookConfig, txn: CommittedTransaction, change: Change
    ) -> Delivery | None:
        if change.operation not in webhook.on:
            return None
        if not webhook.include_drafts and not is_published_id(change.id):
            return None
        document = change.after if change.after is not None else change.before
        assert document is not None
        body_value = _select(webhook, document)
        if body_value is _NO_MATCH:
            return None
        body = json.dumps(body_value, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            "content-type": "application/json",
            "user-agent": "Sanity.io webhook delivery",
            "idempotency-key": f"idem-{txn.id}-{webhook.id}-{change.id}",
            "sanity-transaction-id": txn.id,
            "sanity-transaction-time": txn.timestamp,
            "sanity-dataset": self.dataset,
            "sanity-document-id": change.id,
            "sanity-project-id": self.project_id,
            "sanity-webhook-id": webhook.id,
            "sanity-operation": change.operation,
        }
        if webhook.secret:
            headers[HEADER_NAME] = signature_header(body, webhook.secret, self._clock_ms())
        return Delivery(
            webhook.id,
            webhook.http_method.upper(),
            webhook.url,
            body,
            headers,
            change.id,
            change.operation,
        )


_NO_MATCH = object()


def _select(webhook: WebhookConfig, document: dict[str, Any]) -> Any:
    """The projected body, or ``_NO_MATCH`` when the filter rejects the document."""
    if not webhook.filter.strip() and not webhook.projection.strip():
        return document
    from contentlake.groq import Dataset, GroqError, evaluate

    query = f"*[{webhook.filter.strip() or 'true'}]{webhook.projection.strip()}"
    try:
        result = evaluate(query, Dataset([document]))
    except GroqError as exc:
        log.warning("webhook %s filter/projection failed: %s", webhook.id, exc)
        return _NO_MATCH
    if not isinstance(result, list) or not result:
        return _NO_MATCH
    return result[0]
