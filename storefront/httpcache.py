"""HTTP caching of the shop front: validators, 304s, and who may share a page.

The rule: a response may be stored by a shared cache (a CDN in front of the shop) only when
nothing in it depends on the visitor. Routes that can be shared opt in with
:func:`shared_cacheable` (catalog pages, the sitemap); for them:

- A request that carries none of the shop's visitor cookies (session, cart, preview) and no
  ``Authorization`` header is *anonymous*. Its page is rendered without a CSRF token (there is
  no session to bind one to: see :func:`renders_shared_page`) and without a cart, user or
  flash message, so it is the same page for every such visitor. It gets a strong ``ETag``
  (a digest of the body), ``Last-Modified`` where the route says it is meaningful, answers
  ``If-None-Match``/``If-Modified-Since`` with 304, and ``Cache-Control: public`` with a
  short shared lifetime and ``stale-while-revalidate``, plus ``Vary: Cookie`` so a cache
  never hands it to a request that does carry a cookie.
- Any other request to those routes (logged in, a cart, a flash message, preview, or
  anything that set a cookie while rendering) gets ``Cache-Control: private, no-store``.
- Every other response that does not say otherwise is ``private, no-store`` as well: a page
  is shared only where a route chose it.

A form on a shared page posts without a token; :mod:`storefront.security` accepts such a post
only from a visitor without a session cookie whose browser says the post comes from our own
origin. Visitors with a session keep their token on private pages.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, Response, g, request, session
from werkzeug.http import http_date

from storefront.fragments import noted_updates

F = TypeVar("F", bound=Callable[..., Any])

#: browsers revalidate every time (a cheap 304), shared caches keep a page briefly and may
#: serve it a while longer while they fetch a fresh one
SHARED = "public, max-age=0, s-maxage=30, stale-while-revalidate=60"
PRIVATE = "private, no-store"
SAFE = frozenset({"GET", "HEAD"})
CONDITIONAL = frozenset({"If-None-Match", "If-Modified-Since", "If-Match", "If-Range"})


def shared_cacheable(*, last_modified: bool = False) -> Callable[[F], F]:
    """Mark a view whose page, for an anonymous visitor, may be shared by caches.

    ``last_modified``: also send the newest ``_updatedAt`` of the content the page read
    (a document page; not a list, where a removed item would not move that date).
    """

    def mark(view: F) -> F:
        view._shared_cache = "last-modified" if last_modified else "etag"  # type: ignore[attr-defined]
        return view

    return mark


def _policy(app: Flask) -> str | None:
    view = app.view_functions.get(request.endpoint or "")
    return getattr(view, "_shared_cache", None)


def is_anonymous(visitor_cookies: Iterable[str]) -> bool:
    """Nothing in the request can make the page differ from one visitor to another."""
    if "Authorization" in request.headers:
        return False
    return not any(name in request.cookies for name in visitor_cookies)


def renders_shared_page() -> bool:
    """True while rendering a page that a shared cache may store (no CSRF token in it)."""
    return bool(g.get("shared_page"))


def newest_update(values: Iterable[str]) -> str | None:
    """The latest of ISO-8601 ``_updatedAt`` values as an HTTP date, never later than now."""
    newest = max(values, default=None, key=_parse_iso)
    return _http_date(newest, int(time.time())) if newest else None


@functools.lru_cache(maxsize=4096)
def _parse_iso(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _http_date(iso: str, now: int) -> str:
    # a Last-Modified later than the response's Date is not allowed (RFC 9110 8.8.2.1)
    return _format_http_date(min(int(_parse_iso(iso).timestamp()), now))


@functools.lru_cache(maxsize=4096)
def _format_http_date(seconds: int) -> str:
    return http_date(seconds)


def init_app(app: Flask, *, visitor_cookies: Iterable[str]) -> None:
    cookies = (app.config["SESSION_COOKIE_NAME"], *visitor_cookies)

    @app.before_request
    def _decide() -> None:
        if request.method in SAFE and _policy(app) and is_anonymous(cookies):
            g.shared_page = True

    @app.after_request
    def _cache_headers(response: Response) -> Response:
        if request.path.startswith("/_emulators/"):
            return response
        if not renders_shared_page():
            response.headers.setdefault("Cache-Control", PRIVATE)
            return response
        if response.status_code != 200 or response.direct_passthrough:
            response.headers.setdefault("Cache-Control", PRIVATE)
            return response
        if session.modified or "Set-Cookie" in response.headers:
            # something about this visitor was stored while rendering (a flash, a token)
            response.headers["Cache-Control"] = PRIVATE
            return response
        response.headers["Cache-Control"] = SHARED
        response.vary.add("Cookie")
        if _policy(app) == "last-modified":
            updated = newest_update(noted_updates())
            if updated is not None:
                response.headers["Last-Modified"] = updated
        response.add_etag()
        if CONDITIONAL.isdisjoint(request.headers.keys()):
            return response  # nothing to compare: the plain 200
        return response.make_conditional(request)
