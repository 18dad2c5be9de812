"""``in`` against an array: element-wise GROQ equality, or a hash lookup when the array is a
constant (``$ids``, ``["a", "b"]``), built once per query run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .values import Path, equal

if TYPE_CHECKING:
    from .compiler import Fn, Scope


def in_values(needle_fn: Fn, hay_fn: Fn) -> Fn:
    def run(s: Scope) -> Any:
        return _member(needle_fn(s), hay_fn(s))

    return run


def _member(needle: Any, hay: Any) -> Any:
    if isinstance(hay, list):
        return any(equal(needle, x) for x in hay)
    if isinstance(hay, Path):
        if isinstance(needle, Path):
            needle = needle.pattern
        return hay.matches(needle) if isinstance(needle, str) else None
    return None


def constant_array(node: Any) -> bool:
    if node[0] in ("param", "lit"):
        return True
    return node[0] == "array" and all(not spread and x[0] == "lit" for spread, x in node[1])


def _scalar_key(v: Any) -> Any:
    if v is None:
        return ("z",)
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int | float):
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    return None


def in_constant(needle_fn: Fn, hay_fn: Fn, key: int) -> Fn:
    """``x in $list`` / ``x in ["a", "b"]``: a hash lookup, the set built once per run."""

    def run(s: Scope) -> Any:
        memo = s.ctx.memo
        entry = memo.get(key)
        if entry is None:
            hay = hay_fn(s)
            keys: set[Any] | None = None
            if isinstance(hay, list):
                keys = set()
                for x in hay:
                    k = _scalar_key(x)
                    if k is not None:
                        keys.add(k)
                    elif not isinstance(x, list | dict):
                        keys = None  # a datetime or a path: compare one by one
                        break
            entry = memo[key] = (hay, keys)
        hay, keys = entry
        needle = needle_fn(s)
        if keys is not None:
            k = _scalar_key(needle)
            if k is not None:
                return k in keys
            if isinstance(needle, list | dict):
                return False
        return _member(needle, hay)

    return run
