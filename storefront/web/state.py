"""The web layer's own per-app state, in one typed object (``app.extensions["web"]``).

Who the visitor is (user resolvers, tried in order), what observes each request (metrics),
the Prometheus registry, what decides whether a page may be shared by caches, and the
OpenAPI document built once. Services (clients, gateways, the database) are not here: they
are in :mod:`storefront.container`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, current_app

from storefront.content.notes import BoundedMemo

if TYPE_CHECKING:
    from storefront.web.auth import CurrentUser
    from storefront.web.metrics import Metrics

UserResolver = Callable[[], "CurrentUser | None"]
RequestObserver = Callable[[Request, Response, "float | None"], None]


@dataclass
class WebState:
    user_resolvers: list[UserResolver] = field(default_factory=list)
    request_observers: list[RequestObserver] = field(default_factory=list)
    metrics: Metrics | None = None
    #: Cookies that make a visitor not anonymous (their pages are never shared by caches).
    visitor_cookies: tuple[str, ...] = ()
    build_digest: str = ""
    #: pages rendered for anonymous visitors, by their weak ETag and template
    #: (:func:`storefront.web.httpcache.render_page`)
    shared_bodies: BoundedMemo = field(default_factory=lambda: BoundedMemo(500))
    #: whole responses for anonymous visitors, by URL (:mod:`storefront.web.pagecache`)
    kept_pages: BoundedMemo = field(default_factory=lambda: BoundedMemo(500))
    #: the OpenAPI document of each API, by the API's name
    openapi: dict[str, dict[str, Any]] = field(default_factory=dict)


def web_state(app: Flask | None = None) -> WebState:
    state: WebState = (app or current_app).extensions["web"]
    return state
