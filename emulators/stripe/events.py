"""The emulated account's event log: every event Stripe would create, whether a webhook for
it was delivered, and ``GET /v1/events`` with Stripe's filters and cursor pagination."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from typing import Any

from emulators.common import new_id
from emulators.stripe import objects
from emulators.stripe.errors import StripeApiError, as_int


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value Stripe sends: ``t=…,v1=<hex hmac>``."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class EventLog:
    def __init__(self, *, api_version: str) -> None:
        self.api_version = api_version
        self.events: list[dict[str, Any]] = []
        self._delivered: dict[str, bool] = {}
        self._outgoing: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        created: int,
        request_id: str | None = None,
        idem: str | None = None,
        previous: dict[str, Any] | None = None,
    ) -> None:
        """Record an event (a snapshot of ``obj``) and queue it for delivery."""
        evt = objects.event(
            event_id=new_id("evt_"),
            created=created,
            event_type=event_type,
            obj=json.loads(json.dumps(obj)),
            api_version=self.api_version,
            request_id=request_id,
            idempotency_key=idem,
            previous_attributes=previous,
        )
        with self._lock:
            self.events.append(evt)
            self._delivered[evt["id"]] = False
            self._outgoing.append(evt)

    def take_outgoing(self) -> list[dict[str, Any]]:
        with self._lock:
            batch, self._outgoing = self._outgoing, []
        return batch

    def record_delivery(self, event_id: str, ok: bool) -> None:
        with self._lock:
            if ok:
                self._delivered[event_id] = True
            for evt in self.events:
                if evt["id"] == event_id:
                    evt["pending_webhooks"] = 0 if self._delivered.get(event_id) else 1

    def get(self, event_id: str) -> dict[str, Any]:
        with self._lock:
            for evt in self.events:
                if evt["id"] == event_id:
                    return objects.snapshot(evt)
        raise StripeApiError(404, f"No such event: '{event_id}'", code="resource_missing")

    def list(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /v1/events``: newest first, with Stripe's filters and cursor pagination."""
        limit = min(max(as_int(query.get("limit", 10), "limit", minimum=1), 1), 100)
        with self._lock:
            items = [e for e in reversed(self.events) if self._matches(e, query)]
        after = query.get("starting_after")
        if after:
            ids = [e["id"] for e in items]
            if after not in ids:
                raise StripeApiError(400, f"No such event: '{after}'", param="starting_after")
            items = items[ids.index(after) + 1 :]
        page = items[:limit]
        return {
            "object": "list",
            "data": json.loads(json.dumps(page)),
            "has_more": len(items) > limit,
            "url": "/v1/events",
        }

    def _matches(self, evt: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
        wanted = query.get("delivery_success")
        if wanted is not None and self._delivered.get(evt["id"]) != (str(wanted) == "true"):
            return False
        types = list(query.get("types") or [])
        if query.get("type"):
            types.append(query["type"])
        if types and not any(
            evt["type"] == t or (t.endswith("*") and evt["type"].startswith(t[:-1])) for t in types
        ):
            return False
        created = query.get("created")
        if isinstance(created, dict):
            bounds = {k: as_int(v, f"created[{k}]") for k, v in created.items()}
            checks = {
                "gte": evt["created"] >= bounds.get("gte", evt["created"]),
                "gt": evt["created"] > bounds.get("gt", evt["created"] - 1),
                "lte": evt["created"] <= bounds.get("lte", evt["created"]),
                "lt": evt["created"] < bounds.get("lt", evt["created"] + 1),
            }
            return all(checks.values())
        if created is not None:
            matched: bool = evt["created"] == as_int(created, "created")
            return matched
        return True
