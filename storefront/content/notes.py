"""What a page read, noted per request: the dependencies of its output.

A catalog page is mostly a pure function of its URL and of what it read: the same GROQ
results (each cache entry has a ``version``), the same stock counters and the same position
of the invalidation log give the same HTML. Reads note these *dependencies* as they go
(:func:`note_dependency`, :func:`note_generation`; :mod:`storefront.content.services` and
:mod:`storefront.catalog.services` do), with each result's ``_updatedAt`` (for
``Last-Modified``) and freshness (for memos of reads: :func:`capture_notes`). The web layer
keys rendered fragments and ETags on them (:mod:`storefront.web.fragments`,
:mod:`storefront.web.httpcache`). Outside a request nothing is noted.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import g, has_request_context

T = TypeVar("T")


class BoundedMemo:
    """A thread-safe LRU of values made once per key."""

    def __init__(self, max_entries: int = 2000) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                # One memo holds values of many kinds; a key always names the same kind.
                return cast(T, self._values[key])
        value = make()  # outside the lock: two threads may both make it, both equal
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any:
        """The value made for ``key``, or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def note_dependency(
    part: Hashable | None, *, updated: str | None = None, fresh_until: float | None = None
) -> None:
    """Record what this request's output depends on; ``None`` means "not cacheable".

    ``updated``: when that part last changed (ISO 8601), for ``Last-Modified``.
    ``fresh_until``: when it should be read again (a cached result's TTL), for memos of
    reads (:func:`capture_notes`).
    """
    if not has_request_context():
        return
    deps = _deps()
    if part is None:
        deps.cacheable = False
    else:
        deps.parts.append(part)
    if updated:
        deps.updates.append(updated)
    if fresh_until is not None and fresh_until < deps.fresh_until:
        deps.fresh_until = fresh_until


def note_generation(position: int) -> None:
    """Record the content invalidation log's position: every publish moves it, so whatever
    a page reads while rendering (a linked document's slug) is covered too."""
    if has_request_context():
        _deps().generation = position


class _Dependencies:
    __slots__ = ("cacheable", "fresh_until", "generation", "parts", "updates")

    def __init__(self) -> None:
        self.cacheable = True
        self.fresh_until = math.inf
        self.generation = 0
        self.parts: list[Hashable] = []
        self.updates: list[str] = []


@dataclass(frozen=True)
class Notes:
    """What a computation noted (see :func:`capture_notes`)."""

    parts: tuple[Hashable, ...]
    updates: tuple[str, ...]
    cacheable: bool  # False when the computation turned caching off
    fresh_until: float  # the earliest fresh_until it noted


def _deps() -> _Dependencies:
    deps: _Dependencies | None = g.get("fragment_deps")
    if deps is None:
        deps = g.fragment_deps = _Dependencies()
    return deps


def capture_notes(make: Callable[[], T]) -> tuple[T, Notes]:
    """Run ``make`` and return, with its result, what it noted (see :func:`replay_notes`)."""
    deps = _deps()
    parts, updates, cacheable = len(deps.parts), len(deps.updates), deps.cacheable
    fresh_until, deps.fresh_until = deps.fresh_until, math.inf
    try:
        result = make()
        notes = Notes(
            tuple(deps.parts[parts:]),
            tuple(deps.updates[updates:]),
            deps.cacheable or not cacheable,
            deps.fresh_until,
        )
    finally:
        deps.fresh_until = min(fresh_until, deps.fresh_until)
    return result, notes


def replay_notes(notes: Notes) -> None:
    """Note again what a memoized computation noted when it ran."""
    deps = _deps()
    deps.parts.extend(notes.parts)
    deps.updates.extend(notes.updates)
    deps.cacheable = deps.cacheable and notes.cacheable
    deps.fresh_until = min(deps.fresh_until, notes.fresh_until)


def noted_updates() -> list[str]:
    """The ``updated`` values noted so far in this request."""
    deps = g.get("fragment_deps")
    return deps.updates if deps is not None else []


def fresh_until_noted() -> float | None:
    """The earliest ``fresh_until`` noted in this request (infinity when none was), or None
    when something noted turned caching off."""
    deps = g.get("fragment_deps")
    if deps is None:
        return math.inf
    return deps.fresh_until if deps.cacheable else None


def current_dependencies() -> tuple[bool, int, tuple[Hashable, ...]] | None:
    """``(cacheable, generation, parts)`` noted so far in this request, or None."""
    deps = g.get("fragment_deps") if has_request_context() else None
    if deps is None:
        return None
    return deps.cacheable, deps.generation, tuple(deps.parts)
