"""Our exceptions and the one handler that renders every 4xx/5xx.

Exception tree::

    AppError (status_code, code, message, details)
    ├── BadRequest (400)          ├── NotFound (404)
    ├── Unauthorized (401)        ├── Conflict (409)
    ├── Forbidden (403)           ├── ValidationFailed (422)
    └── ServiceUnavailable (503)

Browsers get a friendly HTML page; API clients (``/api/`` paths, ``/webhooks/`` paths, the
machine endpoints ``/healthz``, ``/readyz`` and ``/metrics``, or a request that prefers
JSON) get ``{"error": {"code", "message", "details"}}``. Nothing ever shows a stack trace
or Werkzeug's default page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask import Request as FlaskRequest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, UnsupportedMediaType

log = logging.getLogger(__name__)


class AppError(Exception):
    status_code = 400
    code = "bad_request"
    default_message = "The request could not be handled."

    def __init__(self, message: str | None = None, *, details: Any = None, code: str | None = None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details
        if code:
            self.code = code


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status_code, code, default_message = 401, "unauthorized", "Please log in first."


class Forbidden(AppError):
    status_code, code, default_message = 403, "forbidden", "You may not do that."


class NotFound(AppError):
    status_code, code, default_message = 404, "not_found", "We could not find that page."


class Conflict(AppError):
    status_code, code, default_message = 409, "conflict", "That conflicts with the current state."


class ValidationFailed(AppError):
    status_code, code, default_message = 422, "validation_failed", "Some fields need fixing."


class ServiceUnavailable(AppError):
    status_code, code = 503, "service_unavailable"
    default_message = "A service we depend on is not answering. Please try again shortly."


#: Friendly wording for Werkzeug's own HTTP errors (routing, methods, body size…).
_HTTP_MESSAGES = {
    400: ("bad_request", "The request was malformed."),
    404: ("not_found", "We could not find that page."),
    405: ("method_not_allowed", "That method is not allowed here."),
    413: ("payload_too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("rate_limited", "Too many requests. Please wait a moment and try again."),
}


class Request(FlaskRequest):
    """Malformed or mistyped JSON bodies become our clear 400/415, not Werkzeug's page."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Werkzeug turns only ``ValueError`` into a 400; JSON nested deeper than Python's
        recursion limit raises ``RecursionError`` from the parser, which would be a 500."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest(
                "The request body is JSON nested too deeply; send a flatter document.",
                code="invalid_json",
            ) from None

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise UnsupportedMediaType()
        raise BadRequest(
            "The request body is not valid JSON.", code="invalid_json", details=str(e)[:200]
        )


#: Endpoints only machines call (probes, scrapers): errors in JSON, never a login redirect.
MACHINE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def wants_json() -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhooks/", "/_emulators/")) or path in MACHINE_PATHS:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message, "details": details}})
    else:
        resp = Response(
            render_template(
                "errors/error.html", status=status, code=code, message=message, details=details
            ),
            mimetype="text/html",
        )
    resp.status_code = status
    return resp


def init_app(app: Flask) -> None:
    app.request_class = Request

    @app.errorhandler(AppError)
    def _app_error(exc: AppError) -> Response:
        return error_response(exc.status_code, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("http_error", exc.description or exc.name))
        resp = error_response(status, code, message)
        if status == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return error_response(
            500,
            "internal_error",
            "Something went wrong on our side. We have been told; please try again.",
        )
