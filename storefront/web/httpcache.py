"""HTTP caching of the shop front: validators, 304s, and who may share a page.

The rule: a response may be stored by a shared cache (a CDN in front of the shop) only when
nothing in it depends on the visitor. Routes that can be shared opt in with
:func:`shared_cacheable` (catalog pages, the sitemap); for them:

- A request that carries none of the shop's visitor cookies (session, cart, preview) and no
  ``Authorization`` header is *anonymous*. Its page is rendered without a CSRF token (there is
  no session to bind one to: see :func:`renders_shared_page`) and without a cart, user or
  flash message, so it is the same page for every such visitor. It gets an ``ETag``,
  ``Last-Modified`` where the route says it is meaningful, answers ``If-None-Match`` and
  ``If-Modified-Since`` with 304, and ``Cache-Control: public`` with a short shared lifetime
  and ``stale-while-revalidate``, plus ``Vary: Cookie`` so a cache never hands it to a
  request that does carry a cookie.
- The ETag of a page rendered with :func:`render_page` is weak and known before rendering:
  a digest of what the page is built from — the URL, every content version and stock
  count the view read (:mod:`storefront.web.fragments`), the content invalidation log's
  position (every publish moves it), and the code, templates and settings of this
  deployment. A matching ``If-None-Match`` is answered without rendering anything, and the
  body rendered for one anonymous visitor is kept (by tag) for the next ones. Other shared
  responses get a strong ETag, a digest of the body.
- Any other request to those routes (logged in, a cart, a flash message, preview, or
  anything that set a cookie while rendering) gets ``Cache-Control: private, no-store``.
- Every other response that does not say otherwise is ``private, no-store`` as well: a page
  is shared only where a route chose it.

A form on a shared page posts without a token; :mod:`storefront.web.security` accepts such a post
only from a visitor without a session cookie whose browser says the post comes from our own
origin. Visitors with a session keep their token on private pages.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    session,
)
from werkzeug.http import http_date

import cms_schema
from storefront.container import services
from storefront.content.notes import noted_updates
from storefront.web import pagecache
from storefront.web.state import web_state

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
        view._shared_cache = "last-modified" if last_modified else "etag"  # type: ignore[attr-defined]  # a mark on the view function, kept by functools.wraps
        return view

    return mark


def render_page(template: str, *, mimetype: str | None = None, **context: Any) -> Response:
    """``render_template`` for a :func:`shared_cacheable` view, with the weak ETag known
    before rendering (anonymous visitors only) and a 304 without rendering when it matches.
    Call it after the view has read everything the page shows."""
    if renders_shared_page():
        tag = page_tag(web_state().build_digest)
        if tag is not None:
            g.page_etag = tag
            if request.if_none_match.contains_weak(tag):
                return Response(status=304)
            return Response(_shared_body(tag, template, context), mimetype=mimetype)
    return Response(render_template(template, **context), mimetype=mimetype)


def _shared_body(tag: str, template: str, context: dict[str, Any]) -> str:
    """The page an anonymous visitor gets for ``tag``: rendered once, then reused.

    The tag is a digest of everything the page is built from (that is why a matching
    ``If-None-Match`` may skip rendering), so two anonymous requests with the same tag get
    the same body. A render that stored something in the session (a flash, a token) made
    a page for one visitor only: it is not kept."""
    bodies = web_state().shared_bodies
    key = (tag, template)
    body: str | None = bodies.peek(key)
    if body is None:
        body = render_template(template, **context)
        if not session.modified:
            bodies.put(key, body)
    return body


def _policy(app: Flask) -> str | None:
    view = app.view_functions.get(request.endpoint or "")
    return getattr(view, "_shared_cache", None)


def is_anonymous(visitor_cookies: Iterable[str]) -> bool:
    """Nothing in the request can make the page differ from one visitor to another."""
    if "Authorization" in request.headers:
        return False
    return not any(name in request.cookies for name in visitor_cookies)


def renders_shared_page() -> bool:
    """True for a request whose page a shared cache may store (no CSRF token in it):
    a GET or HEAD of a :func:`shared_cacheable` route by an anonymous visitor."""
    if not has_request_context():
        return False  # an e-mail rendered by a job
    decided: bool | None = g.get("shared_page")
    if decided is None:
        decided = g.shared_page = bool(
            request.method in SAFE
            and _policy(current_app)
            and is_anonymous(web_state().visitor_cookies)
        )
    return decided


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


def build_digest(app: Flask) -> str:
    """What, besides content, decides a page: this deployment's code and templates, and the
    settings that appear in pages (addresses of the shop and of the image CDN)."""
    settings = services(app).settings
    shown = (settings.base_url, settings.sanity_public_url, settings.sanity_dataset)
    return _source_digest(str(app.template_folder or "")) + repr(shown)


@functools.cache
def _source_digest(template_folder: str) -> str:
    digest = hashlib.blake2b(digest_size=12)
    roots = [Path(__file__).resolve().parent, Path(template_folder)]
    roots.append(Path(cms_schema.__file__).resolve().parent)
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".xml", ".txt") and path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def page_tag(build: str) -> str | None:
    """The weak ETag of the page being built (without quotes), or None when it depends on
    something not versioned (drafts)."""
    deps = g.get("fragment_deps")
    if deps is not None and not deps.cacheable:
        return None
    parts = (build, request.path, request.query_string)
    if deps is not None:
        parts += (deps.generation, *deps.parts)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def init_app(app: Flask, *, visitor_cookies: Iterable[str]) -> None:
    state = web_state(app)
    state.visitor_cookies = (app.config["SESSION_COOKIE_NAME"], *visitor_cookies)
    state.build_digest = build_digest(app)

    @app.before_request
    def _kept_page() -> Response | None:
        # after the access rule (auth), which a shared page passes as "public"
        if request.method not in SAFE or not renders_shared_page():
            return None
        return pagecache.kept_response(state.kept_pages)

    @app.after_request
    def _cache_headers(response: Response) -> Response:
        if request.path.startswith("/_emulators/"):
            return response
        if not renders_shared_page():
            response.headers.setdefault("Cache-Control", PRIVATE)
            return response
        if response.status_code not in (200, 304) or response.direct_passthrough:
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
        tag = g.get("page_etag")
        if tag is not None:
            response.set_etag(tag, weak=True)
        else:
            response.add_etag()
        pagecache.keep(state.kept_pages, response)
        if response.status_code == 304 or CONDITIONAL.isdisjoint(request.headers.keys()):
            return response  # answered already, or nothing to compare: the plain 200
        response.make_conditional(request)  # changes the response itself
        return response
