"""The GROQ result cache: TTL, stale-while-revalidate, one upstream call per key, tags.

Every entry is tagged with the ``_id`` and ``_ref`` values found in its result plus the
caller's type tags (``type:product``), so a publish drops exactly the entries it affects.
Many concurrent misses of one key make a single upstream call (single-flight); a stale entry
is served at once while one background refresh runs. Drafts never enter this cache.

Every entry also carries a ``version``: a digest of its value, computed once when it is
loaded. Pages key what they derive from content (views, rendered fragments) on it, so a
publish or a refresh that changed the result changes every key built on it.

Two stores behind one interface: in-process (default) and Redis (``REDIS_URL``) for more than
one web process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from redis import Redis

from storefront.circuit import circuit_open

log = logging.getLogger(__name__)
Clock = Callable[[], float]


def cache_key(query: str, params: Mapping[str, Any], perspective: str) -> str:
    simple = _simple(params)
    if simple is not None:  # the usual case: no JSON to write for a key seen before
        return _simple_key(query, simple, perspective)
    return _key(query, _params_json(params), perspective)


def _params_json(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def _simple(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...] | None:
    """Params as a hashable tuple when every value is a str, an int (not a bool), None or a
    tuple of str — values that compare equal only when their JSON is equal — else None."""
    for value in params.values():
        kind = type(value)
        if kind is tuple:
            if not all(type(item) is str for item in value):
                return None
        elif kind is not str and kind is not int and value is not None:
            return None
    return tuple(sorted(params.items()))


@functools.lru_cache(maxsize=8192)
def _simple_key(query: str, simple: tuple[tuple[str, Any], ...], perspective: str) -> str:
    return _key(query, _params_json(dict(simple)), perspective)


@functools.lru_cache(maxsize=8192)
def _key(query: str, params_json: str, perspective: str) -> str:
    digest = hashlib.sha256(query.encode())
    digest.update(b"\0" + params_json.encode() + b"\0" + perspective.encode())
    return digest.hexdigest()


def result_version(value: Any) -> str:
    """A digest of a result: equal results (in any process) get equal versions."""
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(blob.encode(), digest_size=10).hexdigest()


def result_updated(value: Any) -> str:
    """The newest ``_updatedAt`` anywhere in a result (ISO 8601), or "" when there is none."""
    newest: datetime | None = None
    stack = [value]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            raw = cur.get("_updatedAt")
            if isinstance(raw, str):
                try:
                    when = datetime.fromisoformat(raw)
                except ValueError:
                    when = None
                if (
                    when is not None
                    and when.tzinfo is not None
                    and (newest is None or when > newest)
                ):
                    newest = when
            stack.extend(v for v in cur.values() if isinstance(v, dict | list))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, dict | list))
    return newest.isoformat() if newest is not None else ""


def result_tags(value: Any, out: set[str] | None = None) -> set[str]:
    """Every document id a result depends on (``_id`` and ``_ref``, drafts prefix removed)."""
    out = set() if out is None else out
    stack = [value]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for key in ("_id", "_ref"):
                v = cur.get(key)
                if isinstance(v, str):
                    out.add("doc:" + v.removeprefix("drafts."))
            stack.extend(v for v in cur.values() if isinstance(v, dict | list))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, dict | list))
    return out


@dataclass
class Entry:
    value: Any
    fresh_until: float
    stale_until: float
    tags: frozenset[str]
    version: str = ""
    updated: str | None = None  # the newest _updatedAt in the value ("" for none)

    def __post_init__(self) -> None:
        if not self.version:
            self.version = result_version(self.value)
        if self.updated is None:
            self.updated = result_updated(self.value)


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    stale_hits: int = 0
    loads: int = 0
    invalidations: int = 0

    def as_dict(self, size: int) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "stale_hits": self.stale_hits,
            "loads": self.loads,
            "invalidations": self.invalidations,
            "size": size,
        }


class CacheStore(Protocol):
    """Where entries live: this process's memory or Redis."""

    def get(self, key: str) -> Entry | None: ...
    def set(self, key: str, entry: Entry) -> None: ...
    def invalidate(self, tags: Iterable[str]) -> int: ...
    def clear(self) -> None: ...
    def size(self) -> int: ...
    def acquire(self, key: str, ttl_ms: int) -> bool: ...
    def release(self, key: str) -> None: ...


class MemoryStore:
    """A bounded LRU of entries with a tag → keys index."""

    def __init__(self, max_entries: int = 5000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._tags: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            for tag in entry.tags:
                self._tags.setdefault(tag, set()).add(key)
            while len(self._entries) > self.max_entries:
                oldest = next(iter(self._entries))
                self._drop(oldest)

    def invalidate(self, tags: Iterable[str]) -> int:
        with self._lock:
            keys = set().union(*(self._tags.get(t, set()) for t in tags))
            for key in keys:
                self._drop(key)
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._tags.clear()

    def size(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            for tag in entry.tags:
                keys = self._tags.get(tag)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._tags[tag]

    # single-flight inside one process needs no cross-process lock
    def acquire(self, key: str, ttl_ms: int) -> bool:
        return True

    def release(self, key: str) -> None:
        return None


class RedisStore:
    """Entries as JSON strings, tags as Redis sets; a short NX lock for single-flight."""

    def __init__(self, client: Redis, *, prefix: str = "sf:cc:") -> None:
        self.redis, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        return cls(Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))

    def get(self, key: str) -> Entry | None:
        raw = self.redis.get(self.prefix + key)
        if raw is None:
            return None
        # redis-py types replies as "awaitable or anything" (its asyncio client shares the
        # signatures); the blocking client, without decode_responses, gives bytes.
        assert isinstance(raw, bytes)
        data = json.loads(raw)
        return Entry(
            data["v"], data["f"], data["s"], frozenset(data["t"]), data.get("h", ""), data.get("u")
        )

    def set(self, key: str, entry: Entry) -> None:
        ttl = max(1, int(entry.stale_until - time.time()) + 1)
        payload = json.dumps(
            {
                "v": entry.value,
                "f": entry.fresh_until,
                "s": entry.stale_until,
                "t": sorted(entry.tags),
                "h": entry.version,
                "u": entry.updated,
            }
        )
        pipe = self.redis.pipeline()
        pipe.set(self.prefix + key, payload, ex=ttl)
        for tag in entry.tags:
            pipe.sadd(self.prefix + "tag:" + tag, key)
            pipe.expire(self.prefix + "tag:" + tag, ttl + 60)
        pipe.execute()

    def invalidate(self, tags: Iterable[str]) -> int:
        keys: set[bytes] = set()
        for tag in tags:
            members = self.redis.smembers(self.prefix + "tag:" + tag)
            assert isinstance(members, set)  # a blocking client's reply (see get)
            keys |= members
        if keys:
            self.redis.delete(*[self.prefix + k.decode() for k in keys])
        return len(keys)

    def clear(self) -> None:
        for key in self.redis.scan_iter(self.prefix + "*"):
            self.redis.delete(key)

    def size(self) -> int:
        return sum(1 for k in self.redis.scan_iter(self.prefix + "*") if b":tag:" not in k)

    def acquire(self, key: str, ttl_ms: int) -> bool:
        return bool(self.redis.set(self.prefix + "lock:" + key, b"1", nx=True, px=ttl_ms))

    def release(self, key: str) -> None:
        self.redis.delete(self.prefix + "lock:" + key)


@dataclass
class _Flight:
    event: threading.Event = field(default_factory=threading.Event)
    value: Entry | None = None
    error: BaseException | None = None


class ContentCache:
    def __init__(
        self,
        *,
        ttl: float = 60.0,
        stale: float = 300.0,
        store: CacheStore | None = None,
        clock: Clock = time.time,
        executor: Executor | None = None,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.ttl, self.stale = ttl, stale
        self.store: CacheStore = store or MemoryStore()
        self.clock = clock
        self.executor = executor or ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="content-refresh"
        )
        self.on_event = on_event
        self.stats_ = Stats()
        #: moves on whenever this process stores or drops an entry; with an in-process store
        #: that is every change of what it serves (see :attr:`changes_are_local`)
        self.changes = 0
        self._flights: dict[str, _Flight] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ContentCache:
        return cls(store=RedisStore.from_url(url), **kwargs)

    def _event(self, kind: str) -> None:
        if self.on_event is not None:
            try:
                self.on_event(kind)
            except Exception:  # metrics must never break a page
                log.debug("cache metrics hook failed", exc_info=True)

    def get_or_load(
        self,
        key_parts: tuple[str, Mapping[str, Any], str],
        loader: Callable[[], Any],
        *,
        tags: Iterable[str] = (),
        ttl: float | None = None,
        tags_if_empty: Iterable[str] = (),
    ) -> Any:
        """``tags_if_empty`` apply only when the result is empty (a lookup of a document that
        does not exist yet must be dropped when one of that type is published)."""
        return self.get_or_load_entry(
            key_parts, loader, tags=tags, ttl=ttl, tags_if_empty=tags_if_empty
        ).value

    def get_or_load_entry(
        self,
        key_parts: tuple[str, Mapping[str, Any], str],
        loader: Callable[[], Any],
        *,
        tags: Iterable[str] = (),
        ttl: float | None = None,
        tags_if_empty: Iterable[str] = (),
    ) -> Entry:
        """Like :meth:`get_or_load`, with the entry's ``version``."""
        query, params, perspective = key_parts
        if perspective in ("drafts", "previewDrafts", "raw"):
            raise ValueError("draft content never goes into the shared cache")
        key = cache_key(query, params if isinstance(params, dict) else dict(params), perspective)
        now = self.clock()
        entry = self.store.get(key)
        if entry is not None and now < entry.fresh_until:
            self.stats_.hits += 1
            self._event("hit")
            return entry
        if entry is not None and now < entry.stale_until:
            self.stats_.stale_hits += 1
            self._event("stale")
            self._refresh_in_background(key, loader, tags, ttl, tags_if_empty)
            return entry
        self.stats_.misses += 1
        self._event("miss")
        return self._load_once(key, loader, tags, ttl, tags_if_empty)

    def _load_once(
        self,
        key: str,
        loader: Callable[[], Any],
        tags: Iterable[str],
        ttl: float | None,
        tags_if_empty: Iterable[str] = (),
    ) -> Entry:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        assert flight is not None
        if not leader:
            flight.event.wait()
            if flight.error is not None:
                raise flight.error
            assert flight.value is not None  # the leader sets a value or an error
            return flight.value
        try:
            entry = self._load(key, loader, tags, ttl, tags_if_empty)
            flight.value = entry
            return entry
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.event.set()

    def _load(
        self,
        key: str,
        loader: Callable[[], Any],
        tags: Iterable[str],
        ttl: float | None,
        tags_if_empty: Iterable[str] = (),
    ) -> Entry:
        held = self.store.acquire(key, 10_000)
        if not held:  # another process is loading it: wait a little for its result
            for _ in range(50):
                time.sleep(0.05)
                entry = self.store.get(key)
                if entry is not None:
                    return entry
        else:  # someone may have loaded it between our look and our lock
            entry = self.store.get(key)
            if entry is not None and self.clock() < entry.fresh_until:
                self.store.release(key)
                return entry
        try:
            self.stats_.loads += 1
            value = loader()
            now = self.clock()
            fresh = ttl if ttl is not None else self.ttl
            all_tags = result_tags(value) | set(tags)
            if value is None or value == [] or value == {}:
                all_tags |= set(tags_if_empty)
            entry = Entry(value, now + fresh, now + fresh + self.stale, frozenset(all_tags))
            self.store.set(key, entry)
            self._changed()
            return entry
        finally:
            if held:  # never free the lock another process holds
                self.store.release(key)

    def _refresh_in_background(
        self,
        key: str,
        loader: Callable[[], Any],
        tags: Iterable[str],
        ttl: float | None,
        tags_if_empty: Iterable[str] = (),
    ) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)
        tags, empty_tags = tuple(tags), tuple(tags_if_empty)

        def refresh() -> None:
            try:
                self._load(key, loader, tags, ttl, empty_tags)
            except Exception as exc:
                # One line; nothing while the content API's circuit is open (the breaker
                # logs when it opens and closes).
                if not circuit_open(exc):
                    log.warning("background refresh failed, serving stale content: %s", exc)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        self.executor.submit(refresh)

    def _changed(self) -> None:
        with self._lock:  # after the change, never lost: a reader of the old count is stale
            self.changes += 1

    @property
    def changes_are_local(self) -> bool:
        """True when no other process can change the entries (the in-process store)."""
        return isinstance(self.store, MemoryStore)

    def invalidate_document(self, doc_id: str, doc_type: str | None = None) -> int:
        tags = ["doc:" + doc_id.removeprefix("drafts.")]
        if doc_type:
            tags.append(f"type:{doc_type}")
        dropped = self.store.invalidate(tags)
        self._changed()
        self.stats_.invalidations += 1
        return dropped

    def invalidate_all(self) -> None:
        self.store.clear()
        self._changed()

    def stats(self) -> dict[str, int]:
        return self.stats_.as_dict(self.store.size())
