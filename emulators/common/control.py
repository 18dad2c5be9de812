"""The ``/_emulator/...`` control API: the Python controls of an emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulators.common.faults import FAULT_KINDS, FaultInjector
from emulators.common.webhooks import WebhookQueue

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
    ``POST /_emulator/webhooks/hold`` ``{"on": true}`` (hold every webhook until delivered);
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
