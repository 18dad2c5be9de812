"""The Gelato emulator as a WSGI app: Gelato's order, product and shipment paths on one base.

Construct with plain values, mount anywhere (``storefront dev`` serves it under
``/_emulators/gelato``) and point :class:`~storefront.gelato.client.GelatoClient`
at it with all three bases equal. Tests drive it in-process (``httpx.WSGITransport``) or on a
live 127.0.0.1 server when they need real timeouts. Faults, webhook misbehaviour and the
``/_emulator`` control API come from :mod:`emulators.common`.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request

from emulators.common import (
    FaultInjector,
    WebhookQueue,
    WebhookSender,
    control_blueprint,
    httpx_sender,
)
from emulators.gelato import catalog
from emulators.gelato.handlers import GelatoRefusal, register_routes
from emulators.gelato.store import GelatoStore
from emulators.gelato.webhooks import with_gelato_retries


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return Response(json.dumps(body), status=status, mimetype="application/json")


class GelatoEmulator:
    """Stateful Gelato. ``calls`` counts requests per endpoint name (benchmarks read it);
    ``events`` lists every webhook payload produced, whether delivered or not."""

    def __init__(
        self,
        *,
        api_key: str = "gelato-local-key",
        webhook_url: str | None = None,
        webhook_header_name: str | None = "signature",
        webhook_header_value: str | None = None,
        split_orders: bool = True,
        products: Iterable[str] | None = None,
        hub_of: Callable[[str], str] = catalog.hub_of,
        webhook_sender: WebhookSender | None = None,
        webhook_retry_delay: float = 5.0,
        hold_webhooks: bool = False,
        clock_step: float = 60.0,
    ) -> None:
        self.api_key = api_key
        self.webhook_url = webhook_url
        self._webhook_headers = {"Content-Type": "application/json", "User-Agent": "Gelato"}
        if webhook_header_name and webhook_header_value:
            self._webhook_headers[webhook_header_name] = webhook_header_value
        self.calls: Counter[str] = Counter()
        self.events: list[dict[str, Any]] = []
        self.faults = FaultInjector()
        self.webhooks = WebhookQueue(
            sender=with_gelato_retries(
                webhook_sender or httpx_sender(timeout=10.0), delay=webhook_retry_delay
            ),
            hold_all=hold_webhooks,
        )
        self.store = GelatoStore(
            products=set(products) if products is not None else None,
            split_orders=split_orders,
            hub_of=hub_of,
            clock_step=clock_step,
        )
        self._after_commit: list[list[Any]] = []  # [route pattern, status, remaining]
        self._lock = threading.Lock()
        self.app = self._build_app()

    # --- test / operator controls ------------------------------------------------------

    def advance(
        self, order_id: str, status: str | None = None, *, item_reference_id: str | None = None
    ) -> dict[str, Any]:
        """Move an order (or one of its items) to ``status``, or one step on; webhooks follow."""
        try:
            return self.store.advance(order_id, status, item_reference_id=item_reference_id)
        finally:
            self.flush_events()

    def advance_all(self, status: str | None = None) -> int:
        try:
            return self.store.advance_all(status)
        finally:
            self.flush_events()

    def tick(self, seconds: float) -> int:
        """Simulated time: every open order takes one step per ``clock_step`` seconds."""
        try:
            return self.store.tick(seconds)
        finally:
            self.flush_events()

    def fail_after_commit(self, route: str, *, status: int = 500, times: int = 1) -> None:
        """Do the work, then answer ``status``: the ambiguous 5xx ("was it created?")."""
        with self._lock:
            self._after_commit.append([route, status, times])

    def add_product(self, product_uid: str) -> None:
        self.store.products.add(product_uid)

    def set_stock(
        self,
        product_uid: str,
        status: str,
        *,
        regions: Iterable[str] = catalog.STOCK_REGIONS,
        replenishment_date: str | None = None,
    ) -> None:
        """Any raw status string, typos included, so clients' parsing can be tested."""
        with self.store.lock:
            per_region = self.store.stock.setdefault(product_uid, {})
            for region in regions:
                per_region[region] = (status, replenishment_date)

    def orders_for(self, order_reference_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            ids = self.store.by_reference.get(order_reference_id, [])
            return [self.store.orders[i] for i in ids]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def flush_events(self) -> None:
        """Hand new webhook payloads to the delivery queue (outside the store's lock)."""
        for event in self.store.take_events():
            self.events.append(event)
            body = json.dumps(event).encode()
            self.webhooks.enqueue(
                event["id"], self.webhook_url, body, lambda _body: self._webhook_headers
            )

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    def _take_after_commit(self, method: str, path: str) -> int | None:
        with self._lock:
            for entry in self._after_commit:
                if fnmatch.fnmatchcase(f"{method} {path}", entry[0]):
                    entry[2] -= 1
                    if entry[2] <= 0:
                        self._after_commit.remove(entry)
                    return int(entry[1])
        return None

    def _build_app(self) -> Flask:
        app = Flask(__name__)

        @app.before_request
        def _count() -> None:
            # Registered before the fault hooks, so injected failures are counted too.
            if not request.path.startswith("/_emulator"):
                with self._lock:
                    self.calls[request.endpoint or "unknown"] += 1

        self.faults.install(
            app, lambda status, message: error_response(status, "injected_fault", message)
        )

        @app.before_request
        def _authenticate() -> Response | None:
            if request.path.startswith("/_emulator"):
                return None
            if request.headers.get("X-API-KEY") != self.api_key:
                return error_response(401, "invalid_api_key_provided", "Invalid API key provided")
            return None

        @app.after_request
        def _after(response: Response) -> Response:
            self.flush_events()
            if response.status_code < 300 and not request.path.startswith("/_emulator"):
                status = self._take_after_commit(request.method, request.path)
                if status is not None:
                    return error_response(status, "injected_fault", "Injected failure after commit")
            return response

        @app.errorhandler(GelatoRefusal)
        def _refused(exc: GelatoRefusal) -> Response:
            return error_response(exc.status, exc.code, exc.message, exc.details)

        @app.errorhandler(404)
        def _no_route(exc: Exception) -> Response:
            return error_response(404, "not_found", f"No route {request.path}")

        @app.errorhandler(405)
        def _no_method(exc: Exception) -> Response:
            return error_response(405, "method_not_allowed", f"{request.method} not allowed")

        register_routes(app, self.store)
        app.register_blueprint(
            control_blueprint(
                self.faults,
                self.webhooks,
                commands={
                    "advance": lambda a: _summary(
                        self.advance(
                            a["order_id"],
                            a.get("status"),
                            item_reference_id=a.get("item_reference_id"),
                        )
                    ),
                    "advance_all": lambda a: self.advance_all(a.get("status")),
                    "tick": lambda a: self.tick(float(a.get("seconds", self.store.clock_step))),
                    "set_stock": lambda a: self.set_stock(**a),
                },
            )
        )
        return app


def _summary(order: dict[str, Any]) -> dict[str, Any]:
    return {"id": order["id"], "fulfillmentStatus": order["fulfillmentStatus"]}
