"""Liveness and readiness probes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from storefront.db import get_db
from storefront.web.auth import access

bp = Blueprint("health", __name__)

#: name -> check; a check raises on failure. Features register theirs (content, …).
ReadinessCheck = Callable[[], None]


def add_readiness_check(app: Flask, name: str, check: ReadinessCheck) -> None:
    app.extensions.setdefault("readiness_checks", {})[name] = check


@bp.get("/healthz")
@access("public")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
@access("public")
def readyz() -> ResponseReturnValue:
    checks: dict[str, dict[str, str]] = {}
    ok = True
    all_checks = {"database": get_db(current_app).ping}
    all_checks.update(current_app.extensions.get("readiness_checks", {}))
    for name, check in all_checks.items():
        try:
            check()
            checks[name] = {"status": "up"}
        except Exception as exc:  # a probe reports, it does not crash
            ok = False
            checks[name] = {"status": "down", "error": type(exc).__name__}
            current_app.logger.warning("readiness check %s failed: %s", name, exc)
    return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)
