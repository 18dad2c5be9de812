"""Sanity's mutation format applied as one all-or-nothing transaction.

:func:`plan_transaction` works on a private overlay of the committed documents and returns
the changes and Sanity-shaped results; the store commits them (or not, for ``dryRun``). Any
failure raises :class:`MutationFailure` before anything is written.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contentlake.patches import PatchError, add_array_keys, apply_patch

_ALPHABET = string.ascii_letters + string.digits
_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
MAX_QUERY_DELETE = 10_000


def random_id(length: int = 22) -> str:
    """An opaque Sanity-looking id / revision (base62)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def valid_id(doc_id: str) -> bool:
    """Sanity's id rules: a-zA-Z0-9._-, ≤128 chars, no segment starting with ``-``, no ``..``."""
    if not isinstance(doc_id, str) or not _ID_RE.match(doc_id) or ".." in doc_id:
        return False
    return not any(part.startswith("-") for part in doc_id.split("."))


class MutationFailure(Exception):
    """The transaction is refused; rendered as Sanity's ``mutationError`` with ``status``."""

    def __init__(self, status: int, error_type: str, description: str, doc_id: str | None = None):
        super().__init__(description)
        self.status = status
        self.item = {"error": {"type": error_type, "description": description}}
        if doc_id is not None:
            self.item["error"]["id"] = doc_id
        self.description = description

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "type": "mutationError",
                "description": f"The mutation(s) failed: {self.description}",
                "items": [self.item],
            }
        }


@dataclass
class Plan:
    """What a transaction would change: ``changes[id] = (before, after)``; ``None`` = absent."""

    transaction_id: str
    timestamp: str
    results: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=dict
    )


#: ``(groq, params, documents) -> ids``: evaluates a selection query for delete/patch by query.
QueryIds = Callable[[str, Mapping[str, Any], list[dict[str, Any]]], list[str]]


class _Overlay:
    def __init__(self, committed: Mapping[str, dict[str, Any]]) -> None:
        self.committed = committed
        self.pending: dict[str, dict[str, Any] | None] = {}

    def get(self, doc_id: str) -> dict[str, Any] | None:
        if doc_id in self.pending:
            return self.pending[doc_id]
        return self.committed.get(doc_id)

    def documents(self) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any] | None] = dict(self.committed)
        merged.update(self.pending)
        return [doc for doc in merged.values() if doc is not None]


class _Planner:
    def __init__(
        self,
        committed: Mapping[str, dict[str, Any]],
        plan: Plan,
        query_ids: QueryIds,
        auto_keys: bool,
    ) -> None:
        self.state = _Overlay(committed)
        self.plan = plan
        self.query_ids = query_ids
        self.auto_keys = auto_keys

    # --- helpers ----------------------------------------------------------------------------
    def _write(self, doc_id: str, after: dict[str, Any] | None) -> None:
        if doc_id not in self.plan.changes:
            before = self.state.committed.get(doc_id)
            self.plan.changes[doc_id] = (before, after)
        else:
            self.plan.changes[doc_id] = (self.plan.changes[doc_id][0], after)
        self.state.pending[doc_id] = after

    def _result(self, doc_id: str, operation: str) -> None:
        self.plan.results.append({"id": doc_id, "operation": operation})

    def _stamp(self, doc: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        if self.auto_keys:
            add_array_keys(doc)
        created = (previous or {}).get("_createdAt") or doc.get("_createdAt")
        doc["_createdAt"] = created or self.plan.timestamp
        doc["_updatedAt"] = self.plan.timestamp
        doc["_rev"] = self.plan.transaction_id
        return doc

    def _new_document(self, body: Any, kind: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise MutationFailure(400, "invalidMutation", f"{kind} needs a document object")
        doc = copy.deepcopy(body)
        doc_id = doc.get("_id")
        if doc_id is None or doc_id == "":
            if kind != "create":
                raise MutationFailure(400, "invalidMutation", f"{kind} requires an _id")
            doc["_id"] = random_id()
        elif isinstance(doc_id, str) and doc_id.endswith(".") and kind == "create":
            doc["_id"] = doc_id + random_id()
        if not valid_id(doc["_id"]):
            raise MutationFailure(
                400, "invalidDocumentId", f"Document ID {doc['_id']!r} is invalid"
            )
        if not isinstance(doc.get("_type"), str) or not doc["_type"]:
            raise MutationFailure(
                400, "missingDocumentType", f"Document {doc['_id']!r} is missing _type"
            )
        return doc

    def _select(self, spec: dict[str, Any], kind: str) -> list[str]:
        if isinstance(spec.get("id"), str):
            return [spec["id"]]
        if isinstance(spec.get("query"), str):
            params = spec.get("params") or {}
            ids = self.query_ids(spec["query"], params, self.state.documents())
            if len(ids) > MAX_QUERY_DELETE:
                raise MutationFailure(400, "queryTooLarge", f"{kind} query matched over 10000")
            return ids
        raise MutationFailure(400, "invalidMutation", f"{kind} needs an id or a query")

    # --- mutation kinds -----------------------------------------------------------------------
    def create(self, body: Any) -> None:
        doc = self._new_document(body, "create")
        if self.state.get(doc["_id"]) is not None:
            raise MutationFailure(
                409,
                "documentAlreadyExistsError",
                f'Document by ID "{doc["_id"]}" already exists',
                doc["_id"],
            )
        self._write(doc["_id"], self._stamp(doc, None))
        self._result(doc["_id"], "create")

    def create_or_replace(self, body: Any) -> None:
        doc = self._new_document(body, "createOrReplace")
        previous = self.state.get(doc["_id"])
        self._write(doc["_id"], self._stamp(doc, previous))
        self._result(doc["_id"], "update" if previous is not None else "create")

    def create_if_not_exists(self, body: Any) -> None:
        doc = self._new_document(body, "createIfNotExists")
        if self.state.get(doc["_id"]) is not None:
            self._result(doc["_id"], "update")  # Sanity reports "update" although nothing changes
            return
        self._write(doc["_id"], self._stamp(doc, None))
        self._result(doc["_id"], "create")

    def delete(self, spec: Any) -> None:
        if not isinstance(spec, dict):
            raise MutationFailure(400, "invalidMutation", "delete needs {id} or {query}")
        for doc_id in self._select(spec, "delete"):
            if self.state.get(doc_id) is not None:
                self._write(doc_id, None)
            self._result(doc_id, "delete")

    def patch(self, spec: Any) -> None:
        if not isinstance(spec, dict):
            raise MutationFailure(400, "invalidMutation", "patch needs an object")
        ids = self._select(spec, "patch")
        for doc_id in ids:
            current = self.state.get(doc_id)
            if current is None:
                if "query" in spec:
                    continue
                raise MutationFailure(
                    404,
                    "documentNotFoundError",
                    f'Document "{doc_id}" not found',
                    doc_id,
                )
            expected = spec.get("ifRevisionID")
            if expected is not None and expected != current.get("_rev"):
                raise MutationFailure(
                    409,
                    "conflictError",
                    f'Document "{doc_id}" has unexpected revision ID ("{current.get("_rev")}"),'
                    f' blocking mutation "patch" (ifRevisionID "{expected}")',
                    doc_id,
                )
            try:
                patched = apply_patch(current, spec)
            except PatchError as exc:
                raise MutationFailure(400, "invalidPatch", str(exc), doc_id) from exc
            if patched != current:
                self._write(doc_id, self._stamp(patched, current))
            self._result(doc_id, "update")


_KINDS = {
    "create": _Planner.create,
    "createOrReplace": _Planner.create_or_replace,
    "createIfNotExists": _Planner.create_if_not_exists,
    "delete": _Planner.delete,
    "patch": _Planner.patch,
}


def plan_transaction(
    committed: Mapping[str, dict[str, Any]],
    mutations: Any,
    *,
    transaction_id: str,
    timestamp: str,
    query_ids: QueryIds,
    auto_generate_array_keys: bool = False,
) -> Plan:
    """Apply ``mutations`` to an overlay of ``committed``; nothing in ``committed`` changes."""
    if not isinstance(mutations, list):
        raise MutationFailure(400, "invalidMutation", "mutations must be an array")
    plan = Plan(transaction_id=transaction_id, timestamp=timestamp)
    planner = _Planner(committed, plan, query_ids, auto_generate_array_keys)
    for mutation in mutations:
        if not isinstance(mutation, dict) or len(mutation) != 1:
            raise MutationFailure(400, "invalidMutation", "each mutation has exactly one kind")
        ((kind, body),) = mutation.items()
        handler = _KINDS.get(kind)
        if handler is None:
            raise MutationFailure(400, "invalidMutation", f"unknown mutation kind {kind!r}")
        handler(planner, body)
    # A document changed and changed back is no change at all.
    plan.changes = {k: v for k, v in plan.changes.items() if v[0] != v[1]}
    return plan
