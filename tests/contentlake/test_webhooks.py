"""Webhooks on commit, delivered synchronously into a receiver app that checks signatures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask, request

from contentlake.webhooks import (
    Delivery,
    HttpSender,
    WebhookConfig,
    deliver_with_retries,
)
from storefront.sanity import signatures
from tests.contentlake.support import Lake, make_lake, needs_groq

SECRET = "hook-secret"
NOW_MS = 1_790_000_000_000


class Receiver:
    """A shop-side endpoint that verifies like production code will."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.app = Flask("receiver")
        self.received: list[dict[str, Any]] = []
        self.statuses = statuses or []
        self.app.add_url_rule("/hook", view_func=self.hook, methods=["POST", "PUT"])

    def hook(self) -> tuple[str, int]:
        raw = request.get_data()
        signatures.verify(raw, request.headers.get(signatures.HEADER), SECRET, now_ms=NOW_MS)
        self.received.append({"headers": dict(request.headers), "body": json.loads(raw)})
        return "", self.statuses.pop(0) if self.statuses else 200


def lake_with_hooks(
    tmp_path: Path, receiver: Receiver, hooks: list[dict[str, Any]]
) -> tuple[Lake, HttpSender]:
    sender = HttpSender(
        httpx.Client(transport=httpx.WSGITransport(app=receiver.app), timeout=5),
        background=False,
        retry_delay=0,
    )
    lake = make_lake(tmp_path, webhooks=hooks, webhook_sender=sender)
    lake.app.extensions["lake"].webhooks._clock_ms = lambda: NOW_MS
    return lake, sender


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def hooked(tmp_path: Path, receiver: Receiver) -> Iterator[tuple[Lake, HttpSender]]:
    lake, sender = lake_with_hooks(
        tmp_path, receiver, [{"url": "http://shop.test/hook", "secret": SECRET, "id": "wh1"}]
    )
    yield lake, sender
    sender.close()
    lake.close()


def test_webhook_sent_on_commit_with_sanity_headers_and_valid_signature(
    hooked: tuple[Lake, HttpSender], receiver: Receiver
) -> None:
    lake, _ = hooked
    out = lake.client().mutate([{"create": {"_id": "p1", "_type": "product", "title": "T"}}])
    (hit,) = receiver.received
    headers = {k.lower(): v for k, v in hit["headers"].items()}
    assert hit["body"]["_id"] == "p1" and hit["body"]["title"] == "T"
    assert headers["sanity-operation"] == "create"
    assert headers["sanity-document-id"] == "p1"
    assert headers["sanity-transaction-id"] == out["transactionId"]
    assert headers["sanity-dataset"] == "production"
    assert headers["sanity-project-id"] == "testproj"
    assert headers["sanity-webhook-id"] == "wh1"
    assert headers["sanity-transaction-time"].endswith("Z")
    assert headers["idempotency-key"]
    assert headers["sanity-webhook-signature"].startswith(f"t={NOW_MS},v1=")


def test_update_and_delete_operations_and_no_hook_for_noop_or_dry_run(
    hooked: tuple[Lake, HttpSender], receiver: Receiver
) -> None:
    lake, _ = hooked
    client = lake.client()
    client.mutate([{"create": {"_id": "p1", "_type": "product", "n": 1}}])
    client.mutate([{"patch": {"id": "p1", "set": {"n": 1}}}])  # no change
    client.mutate([{"patch": {"id": "p1", "set": {"n": 2}}}], dry_run=True)
    client.mutate([{"patch": {"id": "p1", "set": {"n": 2}}}])
    client.mutate([{"delete": {"id": "p1"}}])
    ops = [h["headers"]["Sanity-Operation"] for h in receiver.received]
    assert ops == ["create", "update", "delete"]
    assert receiver.received[2]["body"]["n"] == 2  # delete sends the document before


def test_drafts_ignored_unless_enabled(tmp_path: Path, receiver: Receiver) -> None:
    lake, sender = lake_with_hooks(
        tmp_path,
        receiver,
        [
            {"url": "http://shop.test/hook", "secret": SECRET, "id": "pub"},
            {"url": "http://shop.test/hook", "secret": SECRET, "id": "all", "include_drafts": True},
        ],
    )
    try:
        lake.client().mutate([{"create": {"_id": "drafts.p1", "_type": "product"}}])
        assert [h["headers"]["Sanity-Webhook-Id"] for h in receiver.received] == ["all"]
    finally:
        sender.close()
        lake.close()


def test_dropped_deliveries_are_recorded_not_sent(
    hooked: tuple[Lake, HttpSender], receiver: Receiver
) -> None:
    lake, _ = hooked
    dispatcher = lake.app.extensions["lake"].webhooks
    dispatcher.drop_next()
    lake.client().mutate([{"create": {"_id": "a", "_type": "t"}}])
    lake.client().mutate([{"create": {"_id": "b", "_type": "t"}}])
    assert [h["body"]["_id"] for h in receiver.received] == ["b"]
    assert [d.document_id for d in dispatcher.dropped] == ["a"]
    assert len(dispatcher.emitted) == 2


def test_retries_twice_on_5xx_and_429_but_not_4xx() -> None:
    def delivery() -> Delivery:
        return Delivery("w", "POST", "http://x/hook", b"{}", {}, "a", "create")

    statuses = [503, 429, 200]
    sleeps: list[float] = []
    assert deliver_with_retries(delivery(), lambda d: statuses.pop(0), sleep=sleeps.append) == 200
    assert len(sleeps) == 2
    statuses = [500, 500, 500, 200]
    assert deliver_with_retries(delivery(), lambda d: statuses.pop(0), sleep=sleeps.append) == 500
    assert statuses == [200]  # 1 try + 2 retries, then given up
    calls: list[int] = []
    assert (
        deliver_with_retries(delivery(), lambda d: calls.append(1) or 404, sleep=sleeps.append)
        == 404
    )
    assert calls == [1]

    def broken(_d: Delivery) -> int:
        raise httpx.ConnectError("refused")

    assert deliver_with_retries(delivery(), broken, sleep=sleeps.append) is None


def test_background_sender_delivers_in_a_thread(tmp_path: Path) -> None:
    receiver = Receiver(statuses=[503])
    sender = HttpSender(
        httpx.Client(transport=httpx.WSGITransport(app=receiver.app), timeout=5), retry_delay=0
    )
    lake = make_lake(
        tmp_path,
        webhooks=[{"url": "http://shop.test/hook", "secret": SECRET}],
        webhook_sender=sender,
    )
    lake.app.extensions["lake"].webhooks._clock_ms = lambda: NOW_MS
    try:
        lake.client().mutate([{"create": {"_id": "a", "_type": "t"}}])
        sender.join()
        assert len(receiver.received) == 2  # first answered 503, retried
        assert sender.results[-1][1] == 200
    finally:
        sender.close()
        lake.close()


def test_filter_and_projection_shape_the_body(tmp_path: Path, receiver: Receiver) -> None:
    needs_groq()
    lake, sender = lake_with_hooks(
        tmp_path,
        receiver,
        [
            {
                "url": "http://shop.test/hook",
                "secret": SECRET,
                "filter": '_type == "product"',
                "projection": '{_id, title, "op": "changed"}',
                "http_method": "PUT",
            }
        ],
    )
    try:
        client = lake.client()
        client.mutate(
            [
                {"create": {"_id": "p1", "_type": "product", "title": "T", "price": 1}},
                {"create": {"_id": "c1", "_type": "category", "title": "C"}},
            ]
        )
        client.mutate([{"delete": {"id": "p1"}}])
        bodies = [h["body"] for h in receiver.received]
        assert bodies == [{"_id": "p1", "title": "T", "op": "changed"}] * 2
    finally:
        sender.close()
        lake.close()


def test_config_from_dict_ignores_unknown_keys() -> None:
    config = WebhookConfig.from_dict({"url": "http://x", "on": ["delete"], "name": "n"})
    assert config.on == ("delete",) and config.http_method == "POST"
