"""Structured JSON logs (structlog) and the per-request id and access log line.

No secret carried in a URL reaches a log line: the value of a route argument named
``secret`` or ``token`` (webhook secrets in Gelato's and Mailchimp's paths, the tokens of
password-reset, verification and newsletter links) and of a query parameter such as ``t``
or ``token`` is replaced by ``[redacted]`` in every line, ours and the libraries' alike,
exceptions included (:func:`redact`).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from io import TextIOWrapper
from pathlib import Path
from typing import Any, TextIO

import structlog
from flask import Flask, Request, Response, g, request

#: Called after every request with (request, response, duration in ms).
RequestObserver = Callable[[Request, Response, float | None], None]

REDACTED = "[redacted]"
#: Route arguments whose values are secrets (``/webhooks/gelato/<secret>``).
SECRET_ARGS = frozenset({"secret", "token"})
#: Query parameters whose values are secrets (``t`` is the signed order link's).
SECRET_QUERY = ("t", "token", "secret", "key", "api_key", "access_token", "signature", "sig")
_QUERY_SECRET = re.compile(
    r"(?P<keep>[?&;](?:" + "|".join(SECRET_QUERY) + r")=)[^&;#\s\"'<>]+", re.IGNORECASE
)
_SEGMENT = r"[^/?#\s\"'<>]+"
_RULE_ARG = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")
#: One pattern per route with a secret argument, its secrets in groups named ``s0``, ``s1``…
_secret_routes: dict[str, re.Pattern[str]] = {}

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_access = structlog.get_logger("storefront.access")

#: Where this process's JSON log goes; ``None`` is stderr. A one-shot ``storefront`` command
#: sets a file so that the console keeps only the command's own output (see ``log_to_file``).
_log_file: Path | None = None


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Ours (like :class:`_FileHandler`): configuring again replaces it, not the others."""


class _FileHandler(logging.FileHandler):
    """Opens (and creates the folder of) its file only when the first line is written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)

    def _open(self) -> TextIOWrapper:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def register_secret_routes(rules: Iterable[str]) -> None:
    """Learn the app's routes (``/webhooks/gelato/<secret>``) whose arguments are secrets."""
    for rule in rules:
        if rule in _secret_routes:
            continue
        pattern, pos, secrets = [], 0, 0
        for match in _RULE_ARG.finditer(rule):
            pattern.append(re.escape(rule[pos : match.start()]))
            if match.group("name") in SECRET_ARGS:
                pattern.append(f"(?P<s{secrets}>{_SEGMENT})")
                secrets += 1
            else:
                pattern.append(_SEGMENT)
            pos = match.end()
        if secrets:
            pattern.append(re.escape(rule[pos:]))
            _secret_routes[rule] = re.compile("".join(pattern))


def _blank_secrets(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start()
    for name, value in reversed(list(match.groupdict().items())):
        if value is not None:
            begin, end = match.span(name)
            text = text[: begin - start] + REDACTED + text[end - start :]
    return text


def redact(text: str) -> str:
    """``text`` with every secret route argument and secret query value replaced."""
    text = _QUERY_SECRET.sub(lambda m: m.group("keep") + REDACTED, text)
    for pattern in list(_secret_routes.values()):
        text = pattern.sub(_blank_secrets, text)
    return text


def _redact_event(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def configure_logging(level: str = "INFO") -> None:
    """Every log line, ours and the libraries', is one JSON object on stderr (or the file
    set by :func:`log_to_file`)."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, _wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_event,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler: logging.Handler = (
        _StderrHandler(sys.stderr) if _log_file is None else _FileHandler(_log_file)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler | _FileHandler)]:
        root.removeHandler(old)
        if isinstance(old, _FileHandler):
            old.close()
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _wrap_for_formatter(
    logger: logging.Logger, name: str, event_dict: structlog.typing.EventDict
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """structlog's own wrapper, and the exception on the stdlib record as well: handlers
    other than ours (error reporting) see ``log.exception(...)`` as an exception."""
    args, kwargs = structlog.stdlib.ProcessorFormatter.wrap_for_formatter(logger, name, event_dict)
    if event_dict.get("exc_info"):
        kwargs["exc_info"] = event_dict["exc_info"]
    return args, kwargs


@contextmanager
def log_to_file(path: Path, level: str = "INFO") -> Iterator[None]:
    """Send the JSON log to ``path`` meanwhile (apps created inside keep it there), then put
    back whatever logging was in place before."""
    global _log_file
    root = logging.getLogger()
    saved_file, saved_handlers, saved_level = _log_file, list(root.handlers), root.level
    _log_file = path
    configure_logging(level)
    try:
        yield
    finally:
        for handler in root.handlers:
            if isinstance(handler, _FileHandler):
                handler.close()
        _log_file = saved_file
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def log_to_stderr(level: str = "INFO") -> None:
    """A long-running command (a server, the scheduler) logs on stderr after all."""
    global _log_file
    _log_file = None
    configure_logging(level)


def current_log_file() -> Path | None:
    """The file the JSON log goes to, or ``None`` for stderr."""
    return _log_file


def current_request_id() -> str | None:
    found: str | None = g.get("request_id")
    return found


def init_app(app: Flask, observers: Sequence[RequestObserver] = ()) -> None:
    """Request ids and one JSON log line per request; ``observers`` see every response."""

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        _access.info(
            "request",
            method=request.method,
            path=redact(request.path),
            status=response.status_code,
            duration_ms=duration_ms,
        )
        for hook in observers:
            hook(request, response, duration_ms)
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        structlog.contextvars.clear_contextvars()
