"""Sanity patch operations on one document, in Sanity's order: set, setIfMissing, unset, inc,
dec, insert. Works on a deep copy; the caller decides whether to keep the result."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from contentlake.paths import (
    Index,
    PathError,
    Segment,
    exists,
    parse_path,
    read,
    resolve,
    step,
)

#: Fields a patch may not touch: Sanity owns them.
PROTECTED = frozenset({"_id", "_rev", "_createdAt", "_updatedAt"})
OPERATIONS = ("set", "setIfMissing", "unset", "inc", "dec", "insert")
_KNOWN_KEYS = frozenset({"id", "query", "params", "ifRevisionID", *OPERATIONS})


class PatchError(ValueError):
    """The patch is malformed or cannot apply; the transaction is refused."""


def new_key() -> str:
    return secrets.token_hex(6)


def add_array_keys(value: Any) -> Any:
    """Give every object inside an array a ``_key`` (``autoGenerateArrayKeys``), in place."""
    if isinstance(value, dict):
        for item in value.values():
            add_array_keys(item)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "_key" not in item:
                item["_key"] = new_key()
            add_array_keys(item)
    return value


def _paths(spec: Any, operation: str) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise PatchError(f"patch.{operation} must be an object of path: value")
    return spec


def _segments(path: str) -> list[Segment]:
    try:
        segments = parse_path(path)
    except PathError as exc:
        raise PatchError(str(exc)) from exc
    if len(segments) == 1 and getattr(segments[0], "name", None) in PROTECTED:
        raise PatchError(f"cannot patch the system field {path!r}")
    return segments


def _set(doc: dict[str, Any], spec: Any, *, only_missing: bool) -> None:
    op = "setIfMissing" if only_missing else "set"
    for path, value in _paths(spec, op).items():
        for location in resolve(doc, _segments(path), create=True):
            if only_missing and exists(location) and read(location) is not None:
                continue
            container, key = location
            container[key] = copy.deepcopy(value)


def _unset(doc: dict[str, Any], spec: Any) -> None:
    if not isinstance(spec, list) or not all(isinstance(p, str) for p in spec):
        raise PatchError("patch.unset must be a list of paths")
    for path in spec:
        locations = [loc for loc in resolve(doc, _segments(path), create=False) if exists(loc)]
        # Delete list items from the back so earlier indexes stay valid.
        for container, key in sorted(
            locations, key=lambda loc: loc[1] if isinstance(loc[0], list) else 0, reverse=True
        ):
            del container[key]


def _add(doc: dict[str, Any], spec: Any, *, sign: int, op: str) -> None:
    for path, amount in _paths(spec, op).items():
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise PatchError(f"patch.{op} needs a number for {path!r}")
        for location in resolve(doc, _segments(path), create=False):
            if not exists(location):
                continue
            current = read(location)
            if isinstance(current, bool) or not isinstance(current, int | float):
                continue
            container, key = location
            container[key] = current + sign * amount


def _insert(doc: dict[str, Any], spec: Any) -> None:
    if not isinstance(spec, dict):
        raise PatchError("patch.insert must be an object")
    positions = [k for k in ("before", "after", "replace") if k in spec]
    items = spec.get("items")
    if len(positions) != 1 or not isinstance(items, list):
        raise PatchError("patch.insert needs exactly one of before/after/replace and items[]")
    position = positions[0]
    segments = _segments(spec[position])
    if len(segments) < 2:
        raise PatchError("patch.insert path must select array items, e.g. tags[-1]")
    *parent, selector = segments
    for container, key in resolve(doc, parent, create=False):
        array = container.get(key) if isinstance(container, dict) else container[key]
        if not isinstance(array, list):
            continue
        indexes = [index for _, index in step(array, selector, create=False)]
        new_items = copy.deepcopy(items)
        if not indexes:
            if isinstance(selector, Index) and not array:
                array[0:0] = new_items  # before [0] / after [-1] of an empty array
            continue
        if position == "before":
            array[indexes[0] : indexes[0]] = new_items
        elif position == "after":
            array[indexes[-1] + 1 : indexes[-1] + 1] = new_items
        else:
            for index in reversed(indexes):
                del array[index]
            array[indexes[0] : indexes[0]] = new_items


def apply_patch(document: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A patched deep copy of ``document``; raises :class:`PatchError`."""
    unknown = set(patch) - _KNOWN_KEYS
    if "diffMatchPatch" in unknown:
        raise PatchError("diffMatchPatch is not supported by the local lake")
    if unknown:
        raise PatchError(f"unknown patch operation(s): {', '.join(sorted(unknown))}")
    doc = copy.deepcopy(document)
    if "set" in patch:
        _set(doc, patch["set"], only_missing=False)
    if "setIfMissing" in patch:
        _set(doc, patch["setIfMissing"], only_missing=True)
    if "unset" in patch:
        _unset(doc, patch["unset"])
    if "inc" in patch:
        _add(doc, patch["inc"], sign=1, op="inc")
    if "dec" in patch:
        _add(doc, patch["dec"], sign=-1, op="dec")
    if "insert" in patch:
        _insert(doc, patch["insert"])
    return doc
