"""Building blocks shared by every wire-level emulator (Stripe, PayPal, Gelato, Mailchimp…).

* :class:`FaultInjector` — "the next N requests to this route answer 503 / hang / answer only
  after the state was stored" (the *did it happen?* case), consumed per request.
* :class:`WebhookQueue` — outgoing webhooks through an injectable sender, with drops,
  duplicates, holds (delay) and out-of-order flushes; records every attempt so an emulator can
  answer "which events were never delivered?".
* :func:`control_blueprint` — the small ``/_emulator/...`` HTTP control API for the dev shop
  and browser tests (the same operations as the Python methods).
* :class:`LiveServer` — any WSGI app on 127.0.0.1, a free port, in a daemon thread.

Nothing here knows about a particular provider: an emulator passes in how its errors look.
"""

from __future__ import annotations

import fnmatch
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from flask import Blueprint, Flask, Response, g, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger(__name__)

WSGIApp = Callable[..., Iterable[bytes]]
#: Sends one webhook: ``(url, body, headers) -> HTTP status``; raises on a network failure.
WebhookSender = Callable[[str, bytes, Mapping[str, str]], int]
#: Builds a provider's error response for an injected failure: ``(status, message) -> Response``.
ErrorRenderer = Callable[[int, str], Response]


def new_id(prefix: str, length: int = 24) -> str:
    """A random provider-looking id such as ``cs_test_a1B2…`` (letters and digits only)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


# --------------------------------------------------------------------------------------------
# Fault injection
# --------------------------------------------------------------------------------------------
FaultKind = Literal["error", "error_after", "timeout", "timeout_after"]


FAULT_KINDS = ("error", "error_after", "timeout", "timeout_after")


@dataclass
class Fault:
    """One armed fault. ``pattern`` is ``"METHOD /path/glob"`` (fnmatch, ``*`` matches ``/``)."""

    pattern: str
    kind: FaultKind
    remaining: int
    status: int = 503
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(f"{method.upper()} {path}", self.pattern)

    def describe(self) -> dict[str, Any]:
        return {
            "route": self.pattern,
            "kind": self.kind,
            "remaining": self.remaining,
            "status": self.status,
            "delay": self.delay,
        }


class FaultInjector:
    """Faults armed by tests or the control API, consumed one per matching request.

    ``error``: answer ``status`` without touching state. ``error_after``: do the work, then
    answer ``status`` anyway (the server acted; the client thinks it failed). ``timeout``:
    sleep ``delay`` seconds, then answer 504 without touching state (the client gave up long
    before). ``timeout_after``:
    run the request normally — state is stored — and sleep before answering, so the client
    times out although the operation happened.
    """

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._sleep = sleep

    def fail_next(
        self, route: str, times: int = 1, status: int = 503, *, after_commit: bool = False
    ) -> None:
        self._arm(Fault(route, "error_after" if after_commit else "error", times, status=status))

    def timeout_next(
        self, route: str, times: int = 1, delay: float = 2.0, *, after_commit: bool = False
    ) -> None:
        kind: FaultKind = "timeout_after" if after_commit else "timeout"
        self._arm(Fault(route, kind, times, status=504, delay=delay))

    def _arm(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def armed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault for this request, consumed (``None`` when none applies)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def install(
        self, app: Flask, render_error: ErrorRenderer, *, exempt_prefix: str = "/_emulator"
    ) -> None:
        """Hook into a Flask app: consult the armed faults before and after each request."""

        @app.before_request
        def _inject_before() -> Response | None:
            if request.path.startswith(exempt_prefix):
                return None
            fault = self.take(request.method, request.path)
            if fault is None:
                return None
            log.info("emulator fault %s on %s %s", fault.kind, request.method, request.path)
            if fault.kind in ("timeout_after", "error_after"):
                g.emulator_fault_after = fault
                return None
            if fault.kind == "timeout":
                self._sleep(fault.delay)
                return render_error(504, "Injected timeout: the request was not processed.")
            return render_error(fault.status, "Injected failure: the request was not processed.")

        @app.after_request
        def _inject_after(response: Response) -> Response:
            fault: Fault | None = g.pop("emulator_fault_after", None)
            if fault is None:
                return response
            if fault.kind == "error_after":
                return render_error(
                    fault.status, "Injected failure after the request was processed."
                )
            self._sleep(fault.delay)
            return response


# --------------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------------
def httpx_sender(timeout: float = 5.0) -> WebhookSender:
    """Deliver over the network (the default): one POST per attempt, with a timeout."""

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        with httpx.Client(timeout=timeout) as client:
            return client.post(url, content=body, headers=dict(headers)).status_code

    return send


def wsgi_sender(app: WSGIApp) -> WebhookSender:
    """Deliver straight into a WSGI app (a Flask app in a test); the URL's path is used."""
    transport = httpx.WSGITransport(app=app)

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        with httpx.Client(transport=transport, base_url="http://testserver") as client:
            path = httpx.URL(url).raw_path.decode("ascii")
            return client.post(path, content=body, headers=dict(headers)).status_code

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


# --------------------------------------------------------------------------------------------
# Control API
# --------------------------------------------------------------------------------------------
Command = Callable[[dict[str, Any]], Any]


def control_blueprint(
    faults: FaultInjector,
    webhooks: WebhookQueue,
    commands: Mapping[str, Command] | None = None,
    reset: Callable[[], None] | None = None,
) -> Blueprint:
    """``/_emulator/...``: the Python controls over HTTP, for the dev shop and browser tests.

    ``POST /_emulator/faults`` ``{"route": "POST /v1/x", "kind": "error|error_after|timeout|…",
    "times": 1, "status": 503, "delay": 2}``; ``DELETE /_emulator/faults``;
    ``POST /_emulator/webhooks/{drop|duplicate|delay}`` ``{"times": 1, "copies": 1}``;
    ``POST /_emulator/webhooks/deliver`` ``{"reverse": false}``;
    ``POST /_emulator/webhooks/retry``; ``GET /_emulator/webhooks``;
    ``POST /_emulator/commands/<name>`` (provider-specific, JSON body = keyword arguments);
    ``POST /_emulator/reset``.
    """
    bp = Blueprint("emulator_control", __name__, url_prefix="/_emulator")
    commands = dict(commands or {})

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    @bp.get("/faults")
    def list_faults() -> Response:
        return jsonify(faults.armed())

    @bp.post("/faults")
    def arm_fault() -> tuple[Response, int]:
        data = body()
        route, kind = str(data.get("route", "")), data.get("kind", "error")
        times = int(data.get("times", 1))
        if not route or " " not in route or kind not in FAULT_KINDS:
            return jsonify({"error": "route must be 'METHOD /path' and kind a known one"}), 400
        if kind in ("error", "error_after"):
            faults.fail_next(
                route,
                times,
                status=int(data.get("status", 503)),
                after_commit=kind == "error_after",
            )
        else:
            faults.timeout_next(
                route, times, float(data.get("delay", 2.0)), after_commit=kind == "timeout_after"
            )
        return jsonify(faults.armed()), 201

    @bp.delete("/faults")
    def clear_faults() -> tuple[str, int]:
        faults.clear()
        return "", 204

    @bp.get("/webhooks")
    def webhook_status() -> Response:
        return jsonify(webhooks.status())

    @bp.post("/webhooks/<action>")
    def webhook_action(action: str) -> tuple[Response, int]:
        data = body()
        times = int(data.get("times", 1))
        if action == "drop":
            webhooks.drop_next(times)
        elif action == "duplicate":
            webhooks.duplicate_next(times, int(data.get("copies", 1)))
        elif action == "delay":
            webhooks.delay_next(times)
        elif action == "hold":
            webhooks.hold_all = bool(data.get("on", True))
        elif action == "deliver":
            return jsonify(
                {"delivered": webhooks.deliver_pending(reverse=bool(data.get("reverse")))}
            ), 200
        elif action == "retry":
            return jsonify({"retried": webhooks.retry_failed()}), 200
        else:
            return jsonify({"error": f"unknown webhook action {action!r}"}), 404
        return jsonify(webhooks.status()), 200

    @bp.post("/commands/<name>")
    def run_command(name: str) -> tuple[Response, int]:
        command = commands.get(name)
        if command is None:
            return jsonify({"error": f"unknown command {name!r}", "known": sorted(commands)}), 404
        try:
            result = command(body())
        except (KeyError, ValueError, TypeError) as exc:
            return jsonify({"error": str(exc)}), 400
        return jsonify({"ok": True, "result": result}), 200

    @bp.post("/reset")
    def reset_all() -> tuple[str, int]:
        faults.clear()
        webhooks.reset()
        if reset is not None:
            reset()
        return "", 204

    return bp


# --------------------------------------------------------------------------------------------
# A live localhost server
# --------------------------------------------------------------------------------------------
class _QuietHandler(WSGIRequestHandler):
    """Access lines go to the debug log instead of stderr (tests stay readable)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)


class LiveServer:
    """Serve a WSGI app on 127.0.0.1 (a free port by default) in a daemon thread.

    The socket is bound in the constructor, so :attr:`url` is known before :meth:`start` —
    handy for emulators that must know their own public address. Use as a context manager or
    call :meth:`start`/:meth:`stop` (from a pytest fixture, the dev command or browser tests).
    """

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self.port}"

    def start(self) -> LiveServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"live-server-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
