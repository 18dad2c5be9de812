"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.web.auth import access

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@access("public")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
@access("public")
def readyz() -> ResponseReturnValue:
    checks: dict[str, dict[str, str]] = {}
    ok = True
    found = services()
    all_checks = {"database": found.db.ping, "content": found.content.ping}
    for name, check in all_checks.items():
        try:
            check()
            checks[name] = {"status": "up"}
        except Exception as exc:  # a probe reports, it does not crash
            ok = False
            checks[name] = {"status": "down", "error": type(exc).__name__}
            current_app.logger.warning("readiness check %s failed: %s", name, exc)
    return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)
