"""Error reporting to Sentry (``SENTRY_DSN``), with personal data scrubbed before sending.

What is reported: unhandled errors in web requests, failed sync jobs and parked outbox
entries. All three are ERROR log lines already (``storefront.errors``, ``sync.runner``,
``storefront.outbox``), so the logging integration turns each into an event; the Flask
integration adds the request it happened in. Every event carries the release and the
environment, and a ``component`` tag (``web``, ``sync`` or ``cli``).

What never leaves the process (checked in :func:`scrub_event`, the last step before
sending):

* the visitor: no user, no IP address, no cookies, no request body, only harmless headers,
  no query string, and no local variables in stack frames;
* by name, anywhere in the request, the extras and the breadcrumbs: e-mail, names,
  address fields, phone numbers, passwords, tokens, secrets, sessions;
* in free text (exception messages, log lines, URLs): e-mail addresses, the shop's
  configured secrets, bearer tokens and credentials in URLs, anything shaped like a token,
  the values that pydantic, SQLAlchemy and PostgreSQL echo into their messages, and every
  value the current request submitted (form, query, JSON, cookies) wherever it reappears.

Our own code never writes a customer's name or address into an exception message (it names
orders and customers by number or id); the request-value rule catches a library that echoes
what a visitor typed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlsplit

import sentry_sdk
from flask import has_request_context, request
from pydantic import SecretStr
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from storefront.config import Settings

if TYPE_CHECKING:
    from sentry_sdk.types import Event

Component = Literal["web", "sync", "cli"]
FILTERED = "[Filtered]"

#: Keys whose values are personal data or secrets, wherever they appear (lower case, ``-``
#: read as ``_``); and parts of a key that make it one (``shipping_address``, ``x_api_token``).
PERSONAL_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "given_name",
        "family_name",
        "street",
        "city",
        "post_code",
        "postcode",
        "postal_code",
        "zip",
        "line1",
        "line2",
        "ip",
        "ip_address",
        "remote_addr",
        "x_forwarded_for",
        "x_real_ip",
        "cookie",
        "set_cookie",
        "session",
        "authorization",
        "customer",
        "user",
        "api_key",
        "apikey",
        "access_key",
        "private_key",
        "dsn",
    }
)
PERSONAL_KEY_PARTS = ("email", "address", "phone", "password", "passwd", "secret", "token")
#: Request headers worth keeping (everything else may identify the visitor or carry a secret).
SAFE_HEADERS = frozenset({"accept", "content-type", "content-length", "host", "x-request-id"})

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+(?::[^/\s@]*)?@", re.I)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]+")
#: 20+ characters of a token alphabet, holding a digit and a letter: signed links, API
#: tokens, reset tokens, session ids (module paths and words have no digits).
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_\-])(?=[A-Za-z_\-]*\d)(?=[0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{20,}"
)
_PHONE = re.compile(r"\+\d[\d ()./-]{6,}\d")
#: What libraries echo into their messages: pydantic's input, SQL parameters, PG's DETAIL.
_ECHOES = (
    (re.compile(r"input_value=(?:'[^']*'|\"[^\"]*\"|\S+)"), "input_value=" + FILTERED),
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\(|$))", re.S), "[parameters: " + FILTERED + "]"),
    (re.compile(r"(Key \([^)]*\))=\([^)]*\)"), r"\1=(" + FILTERED + ")"),
    (re.compile(r"(?i)(failing row contains) \(.*?\)(?=\.|$)", re.S), r"\1 (" + FILTERED + ")"),
)


def release_name(settings: Settings) -> str:
    if settings.sentry_release:
        return settings.sentry_release
    try:
        return f"storefront@{version('storefront')}"
    except PackageNotFoundError:
        return "storefront@unknown"


#: What this process is, for the ``component`` tag (the web app unless told otherwise).
_component: Component = "web"


def set_component(component: Component) -> None:
    """Tag this process's events with what it is: ``storefront sync run`` says ``sync``, the
    other commands ``cli``; the default is ``web``."""
    global _component
    _component = component
    if sentry_sdk.get_client().is_active():
        sentry_sdk.get_global_scope().set_tag("component", component)


def init_error_reporting(settings: Settings) -> bool:
    """Start sending errors to Sentry when ``SENTRY_DSN`` is set; False when it is not."""
    if settings.sentry_dsn is None:
        return False
    secrets = configured_secrets(settings)
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        release=release_name(settings),
        environment=settings.sentry_environment or settings.storefront_env,
        integrations=[
            FlaskIntegration(transaction_style="url"),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        # Only what we chose: no httpx/redis/SQL breadcrumbs carrying URLs, keys and IPs.
        auto_enabling_integrations=False,
        include_local_variables=False,  # and no PII by default (``send_default_pii`` unset)
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *PERSONAL_KEYS], recursive=True),
        before_send=lambda event, hint: cast(
            "Event", scrub_event(cast(dict[str, Any], event), hint, secrets)
        ),
        before_breadcrumb=lambda crumb, hint: scrub_breadcrumb(crumb, hint, secrets),
        traces_sample_rate=0.0,
    )
    set_component(_component)
    return True


def configured_secrets(settings: Settings) -> tuple[str, ...]:
    """Every secret value in the settings (the DSN's own key included), longest first."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if not isinstance(value, SecretStr):
            continue
        text = value.get_secret_value()
        if "://" in text:  # the DSN: only its key is secret, not the host
            parts = urlsplit(text)
            found.extend(p for p in (parts.username, parts.password) if p)
            continue
        found.append(text)
        found.extend(part for part in re.split(r"[,:]", text) if len(part) >= 8)  # DATA_KEYS
    for url in (settings.database_url, settings.redis_url or "", settings.smtp_url or ""):
        password = urlsplit(url).password
        if password:
            found.append(password)
    return tuple(sorted({s for s in found if len(s) >= 4}, key=len, reverse=True))


def scrub_text(text: str, secrets: Iterable[str] = (), submitted: Iterable[str] = ()) -> str:
    """``text`` without secrets, personal data and anything the request submitted."""
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    for value in submitted:
        text = text.replace(value, FILTERED)
    for pattern, replacement in _ECHOES:
        text = pattern.sub(replacement, text)
    text = _URL_CREDENTIALS.sub(r"\g<scheme>[secret]@", text)
    text = _AUTH_SCHEME.sub(r"\1 [secret]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _TOKEN.sub("[token]", text)


def is_personal_key(key: object) -> bool:
    name = str(key).lower().replace("-", "_")
    return name in PERSONAL_KEYS or any(part in name for part in PERSONAL_KEY_PARTS)


def _scrub(value: Any, secrets: Iterable[str], submitted: Iterable[str]) -> Any:
    """Every string in ``value`` scrubbed; values under a personal key replaced."""
    if isinstance(value, str):
        return scrub_text(value, secrets, submitted)
    if isinstance(value, dict):
        return {
            k: FILTERED if is_personal_key(k) else _scrub(v, secrets, submitted)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, secrets, submitted) for v in value]
    return value


def _request_values() -> tuple[str, ...]:
    """What the current request submitted (3+ characters), longest first."""
    if not has_request_context():
        return ()
    values: list[str] = []
    for source in (request.form, request.args, request.cookies):
        values.extend(v for _, v in source.items(multi=True))
    values.extend(str(v) for v in (request.view_args or {}).values())
    body = request.get_json(silent=True) if request.is_json else None
    stack: list[Any] = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            values.append(item)
    return tuple(sorted({v for v in values if len(v) >= 3}, key=len, reverse=True))


def _structlog_fields(hint: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """A structlog line arrives as a dict: its event name, and the rest of its fields."""
    record = (hint or {}).get("log_record")
    if record is None or not isinstance(record.msg, dict):
        return None
    fields = dict(record.msg)
    name = str(fields.pop("event", record.name))
    for noise in ("timestamp", "level", "logger", "exc_info"):
        fields.pop(noise, None)
    return name, fields


def scrub_breadcrumb(
    crumb: dict[str, Any], hint: dict[str, Any] | None, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """``before_breadcrumb``: log lines as their event name and fields, scrubbed."""
    found = _structlog_fields(hint)
    if found is not None:
        crumb["message"], crumb["data"] = found
    submitted = _request_values()
    for part in ("message", "data"):
        if part in crumb:
            crumb[part] = _scrub(crumb[part], secrets, submitted)
    return crumb


def scrub_event(
    event: dict[str, Any], hint: dict[str, Any], secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """The last step before an event is sent (``before_send``); see the module docstring."""
    submitted = _request_values()
    found = _structlog_fields(hint)
    if found is not None:
        name, fields = found
        event["logentry"] = {"message": name, "formatted": name, "params": []}
        event.setdefault("extra", {}).update(fields)
    event.pop("user", None)
    req = event.get("request")
    if isinstance(req, dict):
        for dropped in ("cookies", "data", "env", "query_string"):
            req.pop(dropped, None)
        headers = req.get("headers") or {}
        req["headers"] = {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
        if isinstance(req.get("url"), str):
            req["url"] = scrub_text(req["url"].split("?", 1)[0], secrets, submitted)
    for section in ("logentry", "message", "extra", "breadcrumbs", "tags"):
        if section in event:
            event[section] = _scrub(event[section], secrets, submitted)
    for exc in (event.get("exception") or {}).get("values") or []:
        if isinstance(exc.get("value"), str):
            exc["value"] = scrub_text(exc["value"], secrets, submitted)
        for frame in (exc.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    if isinstance(event.get("transaction"), str):
        event["transaction"] = scrub_text(event["transaction"], secrets, submitted)
    return event
