"""An in-memory document set with indexes (``_id``, ``_type``, slug, references).

Documents keep a stable order (the order they were put); ``put`` replaces a document in place.
Attribute indexes map a value to the positions of the documents holding it, so the planner
can evaluate a filter on a few candidates instead of the whole set.
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

    def has_index(self, path: tuple[str, ...]) -> bool:
        return path in self._index

    def lookup(self, path: tuple[str, ...], value: Any) -> set[int] | None:
        index = self._index.get(path)
        if index is None:
            return None
        key = _hashable(value)
        if key is None:
            return set()
        return index.get(key, set())

    def referencing(self, doc_id: str) -> set[int]:
        return self._refs.get(doc_id, set())

    def at(self, positions: Iterable[int]) -> list[dict[str, Any]]:
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
            return True

    def _reindex(self, pos: int, doc: dict[str, Any]) -> None:
        for path, index in self._index.items():
            key = _hashable(_get_path(doc, path))
            if key is not None:
                index.setdefault(key, set()).add(pos)
        refs: set[str] = set()
        _refs(doc, refs)
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
        refs: set[str] = set()
        _refs(doc, refs)
        for ref in refs:
            self._refs.get(ref, set()).discard(pos)
