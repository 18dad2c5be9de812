"""Reading content: GROQ through the cache for visitors, straight to drafts for previews.

One :class:`ContentService` per app (built by :func:`build_content`). Public reads go to the
CDN host through the cache (TTL, stale-while-revalidate, one upstream call per key);
previews read the ``drafts`` perspective with the read token and never touch the cache;
writes elsewhere are noticed through the invalidation log (webhook and sweep).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from storefront.circuit import CircuitBreaker
from storefront.config import Settings
from storefront.content.invalidation import InvalidationFollower
from storefront.content.notes import note_dependency, note_generation
from storefront.content.querycache import ContentCache, Entry
from storefront.db import Database
from storefront.sanity.client import SanityClient


class Cache(Protocol):
    def get_or_load(
        self,
        key_parts: tuple[str, Mapping[str, Any], str],
        loader: Any,
        *,
        tags: Iterable[str] = ...,
        ttl: float | None = ...,
    ) -> Any: ...

    def get_or_load_entry(
        self,
        key_parts: tuple[str, Mapping[str, Any], str],
        loader: Any,
        *,
        tags: Iterable[str] = ...,
        ttl: float | None = ...,
        tags_if_empty: Iterable[str] = ...,
    ) -> Entry: ...

    def invalidate_document(self, doc_id: str, doc_type: str | None = None) -> int: ...

    def invalidate_all(self) -> None: ...

    #: what ``fresh_until`` is measured on
    clock: Callable[[], float]
    #: moves on whenever this process stores or drops an entry
    changes: int

    @property
    def changes_are_local(self) -> bool: ...


class ContentService:
    def __init__(
        self,
        public: SanityClient,
        preview: SanityClient,
        cache: Cache,
        follower: InvalidationFollower | None = None,
    ) -> None:
        self.public, self.preview_client, self.cache, self.follower = (
            public,
            preview,
            cache,
            follower,
        )
        self.upstream_requests = 0
        #: called after every invalidation (memos of things derived from content)
        self.invalidation_listeners: list[Callable[[], object]] = []

    def query(
        self,
        groq: str,
        params: Mapping[str, Any] | None = None,
        *,
        types: Iterable[str] = (),
        preview: bool = False,
        lookup: bool = False,
    ) -> Any:
        """``types``: document types whose new documents could change this result (listings).
        With ``lookup`` (one document by slug or id) they only matter while nothing is found.
        """
        return self.query_versioned(groq, params, types=types, preview=preview, lookup=lookup)[0]

    def query_versioned(
        self,
        groq: str,
        params: Mapping[str, Any] | None = None,
        *,
        types: Iterable[str] = (),
        preview: bool = False,
        lookup: bool = False,
    ) -> tuple[Any, str | None]:
        """The result and its cache entry's version (``None`` for drafts, which are never
        cached: nothing derived from them may be cached either)."""
        params = dict(params or {})
        if preview:
            self.upstream_requests += 1
            value = self.preview_client.query(groq, params, perspective="drafts", use_cdn=False)
            note_dependency(None)
            return value, None
        if self.follower is not None:
            self.follower.poll()
            note_generation(self.follower.position)

        def load() -> Any:
            self.upstream_requests += 1
            return self.public.query(groq, params, perspective="published")

        type_tags = [f"type:{t}" for t in types]
        key = (groq, params, "published")
        if lookup:
            entry = self.cache.get_or_load_entry(key, load, tags_if_empty=type_tags)
        else:
            entry = self.cache.get_or_load_entry(key, load, tags=type_tags)
        note_dependency(entry.version, updated=entry.updated, fresh_until=entry.fresh_until)
        return entry.value, entry.version

    def now(self) -> float:
        """The cache's clock (what ``fresh_until`` is measured on)."""
        return self.cache.clock()

    def read_state(self) -> tuple[int, int] | None:
        """Something that changes whenever a published read could give a different result:
        (this process's cache changes, the invalidation log's position). None when results
        can change without this process seeing it (a cache shared with other processes)."""
        if not self.cache.changes_are_local:
            return None
        position = 0
        if self.follower is not None:
            self.follower.poll()
            position = self.follower.position
            note_generation(position)
        return (self.cache.changes, position)

    def invalidate(self, doc_id: str, doc_type: str | None = None) -> int:
        dropped = self.cache.invalidate_document(doc_id, doc_type)
        for listener in self.invalidation_listeners:
            listener()
        return dropped

    def ping(self) -> None:
        self.public.query(
            "count(*[_type == $t])", {"t": "siteSettings"}, perspective="published", use_cdn=False
        )


def build_cache(settings: Settings) -> ContentCache:
    """Redis when REDIS_URL is set (shared by every web process), else in-process."""
    if settings.redis_url:
        return ContentCache.from_url(
            settings.redis_url, ttl=settings.content_cache_ttl, stale=settings.content_cache_stale
        )
    return ContentCache(ttl=settings.content_cache_ttl, stale=settings.content_cache_stale)


def build_content(settings: Settings, db: Database, breaker: CircuitBreaker) -> ContentService:
    """Public reads through the CDN and the cache; previews with the read token."""
    public = SanityClient.from_settings(settings, breaker=breaker)
    read_token = settings.sanity_read_token
    preview = SanityClient(
        settings.sanity_live_url,
        settings.sanity_live_url,
        settings.sanity_project_id,
        settings.sanity_dataset,
        settings.sanity_api_version,
        read_token.get_secret_value() if read_token else None,
        breaker=breaker,
    )
    service = ContentService(public, preview, build_cache(settings))
    service.follower = InvalidationFollower(db, service.invalidate)
    return service
