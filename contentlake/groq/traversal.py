"""Traversals (``.a``, ``[i]``, ``[a..b]``, ``[filter]``, ``[]``, ``->``, ``{…}``) composed
the way the spec's traversal grammar (and groq-js) composes them.

Each step is a *builder*: a function from the closure computing the step's input to the
closure computing its output. Steps are folded right to left; the fold decides, from what
each step consumes and produces (a plain value or an array), whether the rest of the chain
is applied to the whole value (join), to every element (map), to every element and
flattened (flat-map), or whether a projection runs per element first (inner map).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compiler import Fn, Scope

Builder = Callable[["Fn"], "Fn"]

# what a traversal consumes-produces: a = array, b = any value
AA, AB, BA, BB = "a-a", "a-b", "b-a", "b-b"


def _this(s: Scope) -> Any:
    return s.this


def join(first: Builder, then: Builder) -> Builder:
    return lambda base: then(first(base))


def mapped(inner: Builder) -> Builder:
    body = inner(_this)

    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            if not isinstance(value, list):
                return None
            hidden = s.hidden_child
            return [body(hidden(x)) for x in value]

        return run

    return build


def flat_mapped(inner: Builder) -> Builder:
    body = inner(_this)

    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            if not isinstance(value, list):
                return None
            hidden = s.hidden_child
            out: list[Any] = []
            for x in value:
                y = body(hidden(x))
                if isinstance(y, list):
                    out.extend(y)
                else:
                    out.append(y)
            return out

        return run

    return build


def fold(steps: list[tuple[str, Builder]], array_source: bool) -> Builder:
    """Combine ``(kind, builder)`` steps; kind is array, plain, element or projection."""
    right: tuple[str, Builder] | None = None
    for kind, build in reversed(steps):
        right = _combine(kind, build, right)
    if array_source:
        right = _combine("array", lambda base: base, right)
    assert right is not None
    return right[1]


def _combine(kind: str, build: Builder, right: tuple[str, Builder] | None) -> tuple[str, Builder]:
    if right is None:
        return ({"array": AA, "plain": BB, "element": AB, "projection": BB}[kind], build)
    rtype, rbuild = right
    if kind == "array":
        if rtype in (AA, AB):
            return (rtype, join(build, rbuild))
        if rtype == BB:
            return (AA, join(build, mapped(rbuild)))
        return (AA, join(build, flat_mapped(rbuild)))
    if kind == "plain":
        return (BA if rtype in (AA, BA) else BB, join(build, rbuild))
    if kind == "element":
        return (AA if rtype in (AA, BA) else AB, join(build, rbuild))
    # projection
    if rtype in (AA, AB):
        return (rtype, join(mapped(build), rbuild))
    return (rtype, join(build, rbuild))


# --- the steps -------------------------------------------------------------------------------
def attribute(name: str) -> Builder:
    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            return value.get(name) if isinstance(value, dict) else None

        return run

    return build


def element(index: Any) -> Builder:
    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            if not isinstance(value, list) or index != int(index):
                return None
            i = int(index)
            if i < 0:
                i += len(value)
            return value[i] if 0 <= i < len(value) else None

        return run

    return build


def slice_of(left: int, right: int, inclusive: bool) -> Builder:
    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            if not isinstance(value, list):
                return None
            n = len(value)
            lo = left + n if left < 0 else left
            hi = right + n if right < 0 else right
            if inclusive:
                hi += 1
            return value[max(lo, 0) : max(hi, 0)]

        return run

    return build


def filtered(test: Fn) -> Builder:
    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            if not isinstance(value, list):
                return None
            child = s.child
            return [x for x in value if test(child(x)) is True]

        return run

    return build


def coerce_array(base: Fn) -> Fn:
    def run(s: Scope) -> Any:
        value = base(s)
        return value if isinstance(value, list) else None

    return run


def dereference(base: Fn) -> Fn:
    def run(s: Scope) -> Any:
        value = base(s)
        if isinstance(value, dict):
            ref = value.get("_ref")
            dataset = s.ctx.dataset
            if isinstance(ref, str) and dataset is not None:
                return dataset.get(ref)
        return None

    return run


def projection(obj: Fn) -> Builder:
    def build(base: Fn) -> Fn:
        def run(s: Scope) -> Any:
            value = base(s)
            return obj(s.child(value)) if isinstance(value, dict) else None

        return run

    return build
