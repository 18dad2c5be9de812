"""Fault injection: "the next N requests to this route answer 503 / hang / answer only after
the state was stored" (the *did it happen?* case), consumed one per request."""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from flask import Flask, Response, g, request

log = logging.getLogger(__name__)

#: Builds a provider's error response for an injected failure: ``(status, message) -> Response``.
ErrorRenderer = Callable[[int, str], Response]

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
