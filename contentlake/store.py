"""The lake's document store: a SQLite file (one row per document) mirrored in memory.

Writes are serialised by one lock and committed in one SQLite transaction; the in-memory map
and the raw GROQ ``Dataset`` are updated incrementally afterwards, and the per-perspective
views are rebuilt lazily. Readers take a shared lock, so a query never sees half a
transaction. Listeners (webhooks) are told about each committed transaction after the lock
is released, so they may query the lake themselves.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contentlake.mutations import (
    MutationFailure,
    Plan,
    plan_transaction,
    random_id,
    valid_id,
)

PERSPECTIVES = ("raw", "published", "drafts")
DRAFT_PREFIX = "drafts."
VERSION_PREFIX = "versions."


def utc_timestamp(moment: datetime | None = None) -> str:
    """Sanity's system-field timestamp form: ``2025-05-15T14:31:46Z``."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_published_id(doc_id: str) -> bool:
    return not doc_id.startswith((DRAFT_PREFIX, VERSION_PREFIX))


def published_id(doc_id: str) -> str:
    return doc_id.removeprefix(DRAFT_PREFIX)


@dataclass(frozen=True)
class Change:
    """One document changed by a committed transaction; ``None`` means absent."""

    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def operation(self) -> str:
        if self.before is None:
            return "create"
        return "delete" if self.after is None else "update"


@dataclass(frozen=True)
class CommittedTransaction:
    id: str
    timestamp: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class MutationOutcome:
    transaction_id: str
    results: list[dict[str, Any]]
    documents: dict[str, dict[str, Any] | None]
    dry_run: bool


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def _view(
    documents: Iterable[dict[str, Any]], perspective: str, authenticated: bool
) -> list[dict[str, Any]]:
    docs = list(documents)
    if not authenticated:
        # Sanity: unauthenticated readers only ever see root-path ids (no "." in the id).
        docs = [d for d in docs if "." not in d["_id"]]
    if perspective == "raw":
        return docs
    published = [d for d in docs if is_published_id(d["_id"])]
    if perspective == "published":
        return published
    merged = {d["_id"]: {**d, "_originalId": d["_id"]} for d in published}
    for draft in docs:
        if draft["_id"].startswith(DRAFT_PREFIX):
            base = published_id(draft["_id"])
            merged[base] = {**draft, "_id": base, "_originalId": draft["_id"]}
    return list(merged.values())


class LakeStore:
    """Documents of one dataset. ``path=None`` keeps them in an in-memory SQLite database."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path) if self.path else ":memory:", check_same_thread=False
        )
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS documents ("
            " id TEXT PRIMARY KEY, type TEXT NOT NULL, rev TEXT NOT NULL, json TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS transactions (id TEXT PRIMARY KEY, time TEXT NOT NULL);"
        )
        self._lock = _ReadWriteLock()
        self._write_lock = threading.Lock()
        self._docs: dict[str, dict[str, Any]] = {
            row[0]: json.loads(row[1]) for row in self._db.execute("SELECT id, json FROM documents")
        }
        self._views: dict[tuple[str, bool], Any] = {}
        self._listeners: list[Callable[[CommittedTransaction], None]] = []
        self.generation = 0

    def close(self) -> None:
        self._db.close()

    # --- reading ----------------------------------------------------------------------------
    def get(self, doc_id: str) -> dict[str, Any] | None:
        with self._lock.read():
            doc = self._docs.get(doc_id)
            return copy.deepcopy(doc) if doc is not None else None

    def documents(self) -> list[dict[str, Any]]:
        """Every document (raw), sorted by id; copies."""
        with self._lock.read():
            return [copy.deepcopy(self._docs[k]) for k in sorted(self._docs)]

    def __len__(self) -> int:
        return len(self._docs)

    def dataset(self, perspective: str = "raw", *, authenticated: bool = True) -> Any:
        """The GROQ ``Dataset`` for a perspective (cached until the next write). The raw one
        is updated in place by later writes: use :meth:`query` for a consistent read."""
        with self._lock.read():
            return self._dataset_locked(perspective, authenticated)

    def _dataset_locked(self, perspective: str, authenticated: bool) -> Any:
        from contentlake.groq import Dataset

        if perspective == "previewDrafts":
            perspective = "drafts"
        if perspective not in PERSPECTIVES:
            raise ValueError(f"unknown perspective {perspective!r}")
        key = (perspective, authenticated)
        view = self._views.get(key)
        if view is None:
            ordered = [self._docs[k] for k in sorted(self._docs)]
            view = Dataset(copy.deepcopy(_view(ordered, perspective, authenticated)))
            self._views[key] = view
        return view

    def query(
        self,
        groq: Any,
        params: Mapping[str, Any] | None = None,
        *,
        perspective: str = "published",
        authenticated: bool = True,
        identity: str | None = None,
    ) -> Any:
        """Evaluate a GROQ query (text or parsed) under one consistent snapshot."""
        from contentlake.groq import evaluate

        with self._lock.read():
            dataset = self._dataset_locked(perspective, authenticated)
            return evaluate(groq, dataset, dict(params or {}), identity=identity)

    def subscribe(self, listener: Callable[[CommittedTransaction], None]) -> None:
        """Call ``listener`` after every committed transaction (webhooks)."""
        self._listeners.append(listener)

    # --- writing ----------------------------------------------------------------------------
    @staticmethod
    def _query_ids(groq: str, params: Mapping[str, Any], docs: list[dict[str, Any]]) -> list[str]:
        from contentlake.groq import Dataset, evaluate

        result = evaluate(groq, Dataset(docs), dict(params))
        if isinstance(result, dict):
            result = [result]
        if not isinstance(result, list):
            return []
        return [d["_id"] for d in result if isinstance(d, dict) and isinstance(d.get("_id"), str)]

    def mutate(
        self,
        mutations: object,
        *,
        transaction_id: str | None = None,
        dry_run: bool = False,
        auto_generate_array_keys: bool = False,
        now: datetime | None = None,
    ) -> MutationOutcome:
        """Apply a transaction atomically; raises :class:`MutationFailure` and changes nothing
        (also when ``mutations``, as a client sent it, is not a list of mutations)."""
        if transaction_id is not None and not valid_id(transaction_id):
            raise MutationFailure(400, "invalidTransactionId", "transactionId is invalid")
        with self._write_lock:
            txn_id = transaction_id or random_id()
            if self._db.execute("SELECT 1 FROM transactions WHERE id=?", (txn_id,)).fetchone():
                raise MutationFailure(
                    409, "transactionIdConflict", f'Transaction ID "{txn_id}" already used'
                )
            plan = self._plan(mutations, txn_id, utc_timestamp(now), auto_generate_array_keys)
            documents = {
                doc_id: copy.deepcopy(after) for doc_id, (_, after) in plan.changes.items()
            }
            for result in plan.results:
                doc_id = result["id"]
                if doc_id not in documents:
                    documents[doc_id] = copy.deepcopy(self._docs.get(doc_id))
            if dry_run:
                return MutationOutcome(txn_id, plan.results, documents, True)
            committed = self._commit(plan)
        self._notify(committed)
        return MutationOutcome(txn_id, plan.results, documents, False)

    def _plan(self, mutations: Any, txn_id: str, stamp: str, auto_keys: bool) -> Plan:
        try:
            return plan_transaction(
                self._docs,
                mutations,
                transaction_id=txn_id,
                timestamp=stamp,
                query_ids=self._query_ids,
                auto_generate_array_keys=auto_keys,
            )
        except _groq_error() as exc:
            raise MutationFailure(400, "queryError", f"invalid query: {exc}") from exc

    def _commit(self, plan: Plan) -> CommittedTransaction:
        """Write ``plan.changes`` to SQLite in one transaction, then to memory."""
        with self._lock.write():
            with self._db:
                self._db.execute(
                    "INSERT INTO transactions (id, time) VALUES (?, ?)",
                    (plan.transaction_id, plan.timestamp),
                )
                self._write_rows(plan.changes)
            self._apply_memory(plan.changes)
        changes = tuple(Change(k, b, a) for k, (b, a) in plan.changes.items())
        return CommittedTransaction(plan.transaction_id, plan.timestamp, changes)

    def _write_rows(self, changes: Mapping[str, tuple[Any, dict[str, Any] | None]]) -> None:
        for doc_id, (_, after) in changes.items():
            if after is None:
                self._db.execute("DELETE FROM documents WHERE id=?", (doc_id,))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO documents (id, type, rev, json) VALUES (?, ?, ?, ?)",
                    (doc_id, after["_type"], after.get("_rev", ""), json.dumps(after)),
                )

    def _apply_memory(self, changes: Mapping[str, tuple[Any, dict[str, Any] | None]]) -> None:
        raw = self._views.get(("raw", True))
        self._views = {("raw", True): raw} if raw is not None else {}
        for doc_id, (_, after) in changes.items():
            if after is None:
                self._docs.pop(doc_id, None)
                if raw is not None:
                    raw.delete(doc_id)
            else:
                self._docs[doc_id] = copy.deepcopy(after)
                if raw is not None:
                    raw.put(copy.deepcopy(after))
        self.generation += 1

    def _notify(self, committed: CommittedTransaction) -> None:
        if not committed.changes:
            return
        for listener in list(self._listeners):
            listener(committed)

    def put_documents(
        self, documents: Iterable[dict[str, Any]], *, replace: bool = False
    ) -> tuple[int, int]:
        """Load documents as they are (imports): keep their ``_rev`` and timestamps, fill in
        what is missing, skip documents whose content is already equal. ``replace`` deletes
        everything else. Returns ``(written, deleted)``; listeners are not told."""
        stamp = utc_timestamp()
        with self._write_lock:
            incoming: dict[str, dict[str, Any]] = {}
            for doc in documents:
                if not valid_id(doc.get("_id", "")) or not doc.get("_type"):
                    raise MutationFailure(
                        400, "invalidDocument", f"bad document {doc.get('_id')!r}"
                    )
                doc = copy.deepcopy(doc)
                doc.setdefault("_createdAt", stamp)
                doc.setdefault("_updatedAt", doc["_createdAt"])
                incoming[doc["_id"]] = doc
            changes: dict[str, tuple[Any, dict[str, Any] | None]] = {}
            for doc_id, doc in incoming.items():
                current = self._docs.get(doc_id)
                if current is not None and _same_content(current, doc):
                    continue
                doc.setdefault("_rev", random_id())
                changes[doc_id] = (current, doc)
            if replace:
                for doc_id in set(self._docs) - set(incoming):
                    changes[doc_id] = (self._docs[doc_id], None)
            if changes:
                with self._lock.write():
                    with self._db:
                        self._write_rows(changes)
                    self._apply_memory(changes)
        deleted = sum(1 for _, after in changes.values() if after is None)
        return len(changes) - deleted, deleted


_SYSTEM_FIELDS = frozenset({"_rev", "_createdAt", "_updatedAt"})


def _same_content(current: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """Equal apart from revision and timestamps (so re-imports leave revisions alone)."""
    return {k: v for k, v in current.items() if k not in _SYSTEM_FIELDS} == {
        k: v for k, v in incoming.items() if k not in _SYSTEM_FIELDS
    }


class _EngineMissing(Exception):
    """Stands in for ``GroqError`` while the GROQ engine is not importable."""


def _groq_error() -> type[Exception]:
    try:
        from contentlake.groq import GroqError
    except ImportError:
        return _EngineMissing
    return GroqError
