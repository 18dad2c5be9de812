"""An in-memory document set with indexes (``_id``, ``_type``, slug, references).

Order: documents keep the order they were first put in; ``put`` of an existing ``_id``
replaces the document at its old position, a new ``_id`` is appended, ``delete`` removes it.
(Callers wanting Sanity's ``_id`` order sort before loading, as the conformance runner does.)

Attribute indexes map a scalar value to the positions of the documents holding it at a path,
and a reference index maps an id to the documents that reference it anywhere, so the planner
evaluates a filter on a few candidates instead of the whole set. ``indexed_paths=()`` turns
the planner off altogether (attribute and reference indexes), which benchmarks use as the
"full scan" baseline; lookups by ``_id`` (``->``) always use the primary key.

Writes and index lookups take a lock and lookups return copies, so queries may run while
another thread writes (a query may see a write land between two of its lookups).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

DEFAULT_INDEXES = ("_id", "_type", "slug.current")


def _get_path(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = doc
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _refs(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        ref = value.get("_ref")
        if isinstance(ref, str):
            out.add(ref)
        for v in value.values():
            if isinstance(v, dict | list):
                _refs(v, out)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                _refs(v, out)


def _hashable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return ("lit", value)
    if isinstance(value, int | float):
        return ("num", float(value))
    if isinstance(value, str):
        return ("str", value)
    return None


class Dataset:
    def __init__(
        self,
        documents: Iterable[dict[str, Any]] = (),
        *,
        indexed_paths: Sequence[str] = DEFAULT_INDEXES,
    ) -> None:
        self.indexed_paths = tuple(tuple(p.split(".")) for p in indexed_paths)
        self._lock = threading.RLock()
        self._docs: list[dict[str, Any] | None] = []
        self._pos: dict[str, int] = {}
        self._index: dict[tuple[str, ...], dict[Any, set[int]]] = {
            p: {} for p in self.indexed_paths
        }
        self._refs: dict[str, set[int]] = {}
        self._outgoing: dict[str, frozenset[str]] = {}  # _id -> ids it references
        self._live: list[dict[str, Any]] | None = None
        for doc in documents:
            self.put(doc)

    # --- reads --------------------------------------------------------------------------------
    @property
    def documents(self) -> list[dict[str, Any]]:
        live = self._live
        if live is None:
            with self._lock:
                live = self._live = [d for d in self._docs if d is not None]
        return live

    def __len__(self) -> int:
        return len(self._pos)

    def get(self, doc_id: str) -> dict[str, Any] | None:
        pos = self._pos.get(doc_id)
        return self._docs[pos] if pos is not None else None

    @property
    def planning(self) -> bool:
        """Whether filters on ``*`` may use the indexes at all."""
        return bool(self.indexed_paths)

    def has_index(self, path: tuple[str, ...]) -> bool:
        return path in self._index

    def lookup(self, path: tuple[str, ...], value: Any) -> set[int] | None:
        index = self._index.get(path)
        if index is None:
            return None
        key = _hashable(value)
        if key is None:
            return set()
        with self._lock:
            return set(index.get(key, ()))

    def referencing(self, doc_id: str) -> set[int]:
        with self._lock:
            return set(self._refs.get(doc_id, ()))

    def references_of(self, doc: dict[str, Any]) -> frozenset[str] | None:
        """The ids a stored document references (None if ``doc`` is not stored here)."""
        doc_id = doc.get("_id")
        if not isinstance(doc_id, str):
            return None
        pos = self._pos.get(doc_id)
        if pos is None or self._docs[pos] is not doc:
            return None
        return self._outgoing.get(doc_id)

    def at(self, positions: Iterable[int]) -> list[dict[str, Any]]:
        with self._lock:
            docs = self._docs
            return [d for p in sorted(positions) if (d := docs[p]) is not None]

    # --- writes -------------------------------------------------------------------------------
    def put(self, doc: dict[str, Any]) -> None:
        doc_id = doc.get("_id")
        if not isinstance(doc_id, str):
            raise ValueError("a document needs a string _id")
        with self._lock:
            pos = self._pos.get(doc_id)
            if pos is None:
                pos = len(self._docs)
                self._docs.append(doc)
                self._pos[doc_id] = pos
            else:
                self._unindex(pos)
                self._docs[pos] = doc
            self._reindex(pos, doc)
            self._live = None

    def delete(self, doc_id: str) -> bool:
        with self._lock:
            pos = self._pos.pop(doc_id, None)
            if pos is None:
                return False
            self._unindex(pos)
            self._docs[pos] = None
            self._live = None
            holes = len(self._docs) - len(self._pos)
            if holes > 64 and holes > len(self._pos):
                self._compact()
            return True

    def _compact(self) -> None:
        """Drop the holes deletes leave behind (positions change, so re-index)."""
        live = [d for d in self._docs if d is not None]
        self._docs, self._pos, self._refs, self._outgoing = [], {}, {}, {}
        self._index = {p: {} for p in self.indexed_paths}
        for doc in live:
            pos = len(self._docs)
            self._docs.append(doc)
            self._pos[doc["_id"]] = pos
            self._reindex(pos, doc)

    def _reindex(self, pos: int, doc: dict[str, Any]) -> None:
        for path, index in self._index.items():
            key = _hashable(_get_path(doc, path))
            if key is not None:
                index.setdefault(key, set()).add(pos)
        refs: set[str] = set()
        _refs(doc, refs)
        self._outgoing[doc["_id"]] = frozenset(refs)
        for ref in refs:
            self._refs.setdefault(ref, set()).add(pos)

    def _unindex(self, pos: int) -> None:
        doc = self._docs[pos]
        if doc is None:
            return
        for path, index in self._index.items():
            key = _hashable(_get_path(doc, path))
            if key is not None and key in index:
                index[key].discard(pos)
        for ref in self._outgoing.pop(doc["_id"], frozenset()):
            self._refs.get(ref, set()).discard(pos)
