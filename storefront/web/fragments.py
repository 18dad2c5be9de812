"""What a page was built from, noted per request, and rendered pieces of pages kept by it.

A catalog page is mostly a pure function of its URL and of what it read: the same GROQ
results (each cache entry has a ``version``), the same stock counters and the same position
of the invalidation log give the same HTML. Reads note these *dependencies* as they go
(:func:`note_dependency`, :func:`note_generation`; :mod:`storefront.content.services` and
:mod:`storefront.catalog.services` do), with each result's ``_updatedAt`` (for
``Last-Modified``) and freshness (for memos of reads: :func:`capture_notes`).

``{% fragment %}…{% endfragment %}`` in a template renders its body once per key and
reuses it; the key is the template position, the request path and query, and every
dependency noted before the tag. So a publish, a refresh that changed a result or a sold
shirt changes the key, and the next view renders afresh. A read without a version (drafts
in preview) turns caching off for the rest of the request. :mod:`storefront.web.httpcache`
builds its pre-render ETag from the same notes.

What a fragment must never contain: anything about the visitor (CSRF token, cart, user,
flash messages). Those stay outside the tags, rendered on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Flask, has_request_context, request
from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from storefront.content.notes import BoundedMemo, current_dependencies


def fragment_key(position: Hashable) -> tuple[Hashable, ...] | None:
    """The key for a fragment at ``position`` in this request, or None (do not cache)."""
    deps = current_dependencies()
    where = (position, request.path, request.query_string)  # links are relative: no host
    if deps is None:
        return where
    cacheable, generation, parts = deps
    if not cacheable:
        return None
    return (*where, generation, *parts)


class FragmentExtension(Extension):
    """``{% fragment %}…{% endfragment %}``: the body, rendered once per :func:`fragment_key`."""

    tags = {"fragment"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        #: rendered fragments (Jinja's overlays get copies of this extension sharing it)
        self.cache = BoundedMemo()

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        position = nodes.Const((parser.name, lineno))
        body = parser.parse_statements(("name:endfragment",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", [position]), [], [], body).set_lineno(
            lineno
        )

    def _render(self, position: tuple[str | None, int], caller: Callable[[], str]) -> Markup:
        key = fragment_key(position) if has_request_context() else None
        if key is None:
            return Markup(caller())  # noqa: S704 - the template's own (escaped) output
        return self.cache.get_or_make(key, lambda: Markup(caller()))  # noqa: S704 - as above


def init_app(app: Flask) -> BoundedMemo:
    app.jinja_env.add_extension(FragmentExtension)
    extension = app.jinja_env.extensions[FragmentExtension.identifier]
    assert isinstance(extension, FragmentExtension)
    return extension.cache
