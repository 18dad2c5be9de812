"""Whole pages for anonymous visitors, kept while nothing they were built from has moved.

A shared catalog page (see :mod:`storefront.web.httpcache`) is a function of its URL and of
what its view read: published content, stock counters and review decisions. Each of these
has a cheap counter that moves whenever a read could give something else:

- the content service's :meth:`~storefront.content.services.ContentService.read_state`
  (this process's cache changes and the invalidation log's position; a publish moves it),
- the stock snapshot's ``reads`` (it moves each time the counters table is read again, at
  most once a second),
- the review board's ``version`` (every moderation decision moves it).

The response made for the first anonymous visitor is kept with those counters as they were
*before* its view ran, and with the earliest freshness of the results it read (the content
cache's TTL, so a lost webhook is still caught by the refresh). The next anonymous request
for the same URL gets the kept response without running the view, as long as every counter
is unchanged and the results are still fresh. Validators and ``Cache-Control`` are applied
by :mod:`storefront.web.httpcache` as for a rendered page, so conditional requests still
get their 304.

When the content cache is shared between processes (Redis), ``read_state`` cannot see
other processes' changes: nothing is kept, exactly as for the catalog's memos.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from flask import Response, g, request

from storefront.container import services
from storefront.content.notes import BoundedMemo, fresh_until_noted

#: headers a kept page is sent with again (the rest is added per response)
KEPT_HEADERS = ("Content-Type", "Last-Modified")


@dataclass(frozen=True)
class KeptPage:
    state: Hashable
    fresh_until: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str | None


def world_state() -> Hashable | None:
    """The counters a shared page's reads depend on, or None when they cannot be known."""
    svc = services()
    content = svc.catalog.content.read_state()
    if content is None:
        return None
    stock = svc.catalog.stock
    stock.counts()  # read the table again if the snapshot is due: ``reads`` moves
    return (content, stock.reads, svc.reviews.version)


def kept_response(pages: BoundedMemo) -> Response | None:
    """The kept page for this request, when every counter is as it was; else None (and
    the counters are remembered for :func:`keep`)."""
    state = world_state()
    if state is None:
        return None
    g.page_state = state
    kept: KeptPage | None = pages.peek((request.path, request.query_string))
    if kept is None or kept.state != state:
        return None
    if services().catalog.content.now() >= kept.fresh_until:
        return None
    g.page_etag, g.page_kept = kept.etag, True
    return Response(kept.body, headers=list(kept.headers))


def keep(pages: BoundedMemo, response: Response) -> None:
    """Keep a full 200 made for an anonymous GET, with the counters read before its view."""
    state = g.get("page_state")
    if state is None or g.get("page_kept") or request.method != "GET":
        return
    if response.status_code != 200:
        return
    if response.direct_passthrough or response.is_streamed:
        return
    fresh_until = fresh_until_noted()
    if fresh_until is None:
        return  # something read without a version (drafts): not cacheable
    headers = tuple((k, v) for k in KEPT_HEADERS if (v := response.headers.get(k)) is not None)
    pages.put(
        (request.path, request.query_string),
        KeptPage(state, fresh_until, response.get_data(), headers, g.get("page_etag")),
    )
