"""JSONMatch-style paths as used by Sanity patches: ``a.b``, ``items[_key=="k"].qty``,
``tags[-1]``, ``arr[0]``, ``arr[*]``.

A path is parsed into segments, then resolved against a document into *locations*
``(container, key)`` so that patch operations can read, write or delete in place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


class PathError(ValueError):
    """The path does not parse."""


@dataclass(frozen=True)
class Attr:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Match:
    """``[field == value]`` inside brackets (``_key`` in practice)."""

    field: str
    value: Any


@dataclass(frozen=True)
class Wildcard:
    pass


Segment = Attr | Index | Match | Wildcard

_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_MATCH = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*==\s*(\"(?:[^\"\\]|\\.)*\"|'[^']*'|-?\d+)\s*$")


def parse_path(text: str) -> list[Segment]:
    """Parse ``text`` into segments; raise :class:`PathError` on anything else."""
    segments: list[Segment] = []
    pos = 0
    expect_attr = True
    while pos < len(text):
        char = text[pos]
        if char == "[":
            end = text.find("]", pos)
            if end < 0:
                raise PathError(f"unclosed [ in path {text!r}")
            segments.append(_bracket(text[pos + 1 : end], text))
            pos = end + 1
            expect_attr = False
        elif char == ".":
            pos += 1
            expect_attr = True
        elif expect_attr or not segments:
            match = _IDENT.match(text, pos)
            if not match:
                raise PathError(f"unexpected {char!r} in path {text!r}")
            segments.append(Attr(match.group(0)))
            pos = match.end()
            expect_attr = False
        else:
            raise PathError(f"unexpected {char!r} in path {text!r}")
    if not segments:
        raise PathError("empty path")
    return segments


def _bracket(inner: str, text: str) -> Segment:
    inner = inner.strip()
    if inner in ("", "*"):
        return Wildcard()
    if re.fullmatch(r"-?\d+", inner):
        return Index(int(inner))
    match = _MATCH.match(inner)
    if match:
        raw = match.group(2)
        if raw.startswith("'"):
            value: Any = raw[1:-1]
        else:
            value = json.loads(raw)
        return Match(match.group(1), value)
    if inner.startswith(("'", '"')):
        try:
            return Attr(json.loads(inner) if inner.startswith('"') else inner[1:-1])
        except ValueError as exc:
            raise PathError(f"bad attribute in path {text!r}") from exc
    raise PathError(f"unsupported selector [{inner}] in path {text!r}")


Location = tuple[Any, Any]  # (dict, key) or (list, index)


def step(value: Any, segment: Segment, *, create: bool) -> list[Location]:
    if isinstance(segment, Attr):
        return [(value, segment.name)] if isinstance(value, dict) else []
    if not isinstance(value, list):
        return []
    if isinstance(segment, Index):
        index = segment.index + len(value) if segment.index < 0 else segment.index
        return [(value, index)] if 0 <= index < len(value) else []
    if isinstance(segment, Wildcard):
        return [(value, i) for i in range(len(value))]
    return [
        (value, i)
        for i, item in enumerate(value)
        if isinstance(item, dict) and item.get(segment.field) == segment.value
    ]


def resolve(doc: dict[str, Any], segments: list[Segment], *, create: bool) -> list[Location]:
    """Locations the path points at. With ``create``, missing objects along attribute
    segments are created (as Sanity's ``set`` does); otherwise missing parts match nothing.
    The last location may name a key that does not exist yet."""
    locations: list[Location] = [({"": doc}, "")]
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        following: list[Location] = []
        for container, key in locations:
            value = container.get(key) if isinstance(container, dict) else container[key]
            if (
                value is None
                and create
                and isinstance(segment, Attr)
                and isinstance(container, dict)
            ):
                value = {}
                container[key] = value
            following.extend(step(value, segment, create=create))
        if not last:
            following = [
                loc
                for loc in following
                if create or (loc[1] in loc[0] if isinstance(loc[0], dict) else True)
            ]
        locations = following
    return locations


def exists(location: Location) -> bool:
    container, key = location
    return key in container if isinstance(container, dict) else 0 <= key < len(container)


def read(location: Location) -> Any:
    container, key = location
    return container.get(key) if isinstance(container, dict) else container[key]
