"""GROQ functions (``count``, ``coalesce``, ``array::*``, ``pt::text``…) and pipe functions
(``order``, ``score``), compiled against their argument closures."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import GroqParseError, GroqQueryError
from .values import (
    DateTime,
    Pair,
    Path,
    equal,
    is_number,
    parse_datetime,
    total_compare,
    type_name,
)

if TYPE_CHECKING:
    from .compiler import Compiler, Fn, Scope

Impl = Callable[..., Any]


def _count(s: Scope, v: Any) -> Any:
    return len(v) if isinstance(v, list) else None


def _defined(s: Scope, v: Any) -> Any:
    return v is not None


def _length(s: Scope, v: Any) -> Any:
    if isinstance(v, str):
        return len(v.encode("utf-16-le")) // 2
    return len(v) if isinstance(v, list) else None


def _lower(s: Scope, v: Any) -> Any:
    return v.lower() if isinstance(v, str) else None


def _upper(s: Scope, v: Any) -> Any:
    return v.upper() if isinstance(v, str) else None


def js_number(v: float | int) -> str:
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e21):
        return str(int(v))
    text = repr(v)
    if "e" in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa}e{'+' if not exp.startswith('-') else ''}{int(exp)}"
    return text


def _string(s: Scope, v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_number(v):
        return js_number(v)
    if isinstance(v, str):
        return v
    if isinstance(v, DateTime):
        return v.iso()
    return None


def _round(s: Scope, v: Any, precision: Any = 0) -> Any:
    if not is_number(v) or not is_number(precision):
        return None
    factor = 10 ** int(precision)
    result = math.floor(v * factor + 0.5) / factor
    return int(result) if int(precision) == 0 else result


def _now(s: Scope) -> Any:
    return s.ctx.now.iso()


def _datetime(s: Scope, v: Any) -> Any:
    if isinstance(v, DateTime):
        return v
    return parse_datetime(v)


def _datetime_now(s: Scope) -> Any:
    return s.ctx.now


def _identity(s: Scope) -> Any:
    return s.ctx.identity or "me"


def _path(s: Scope, v: Any) -> Any:
    return Path(v) if isinstance(v, str) else None


def _boost(s: Scope, v: Any, amount: Any) -> Any:
    return v


def _references(s: Scope, *ids: Any) -> Any:
    wanted: set[str] = set()
    for i in ids:
        if isinstance(i, str):
            wanted.add(i)
        elif isinstance(i, list):
            wanted.update(x for x in i if isinstance(x, str))
    return bool(wanted) and _has_ref(s.this, wanted)


def _has_ref(value: Any, wanted: set[str]) -> bool:
    if isinstance(value, dict):
        ref = value.get("_ref")
        if isinstance(ref, str) and ref in wanted:
            return True
        return any(_has_ref(v, wanted) for v in value.values())
    if isinstance(value, list):
        return any(_has_ref(v, wanted) for v in value)
    return False


def _join(s: Scope, arr: Any, sep: Any) -> Any:
    if not isinstance(arr, list) or not isinstance(sep, str):
        return None
    parts = []
    for x in arr:
        text = _string(s, x)
        if text is None:
            return None
        parts.append(text)
    return sep.join(parts)


def _compact(s: Scope, arr: Any) -> Any:
    return [x for x in arr if x is not None] if isinstance(arr, list) else None


def _unique(s: Scope, arr: Any) -> Any:
    if not isinstance(arr, list):
        return None
    out: list[Any] = []
    for x in arr:
        seen = any(equal(x, y) and type_name(x) == type_name(y) for y in out)
        if isinstance(x, list | dict) or not seen:
            out.append(x)
    return out


def _intersects(s: Scope, a: Any, b: Any) -> Any:
    if not isinstance(a, list) or not isinstance(b, list):
        return None
    return any(equal(x, y) for x in a for y in b)


def _split(s: Scope, text: Any, sep: Any) -> Any:
    if not isinstance(text, str) or not isinstance(sep, str):
        return None
    if text == "":
        return []
    if sep == "":
        return list(text)
    return text.split(sep)


def _starts_with(s: Scope, text: Any, prefix: Any) -> Any:
    if not isinstance(text, str) or not isinstance(prefix, str):
        return None
    return text.startswith(prefix)


def _numbers(arr: Any) -> list[Any] | None:
    if not isinstance(arr, list):
        return None
    nums = [x for x in arr if x is not None]
    if any(not is_number(x) for x in nums):
        return None
    return nums


def _sum(s: Scope, arr: Any) -> Any:
    nums = _numbers(arr)
    return None if nums is None else sum(nums)


def _avg(s: Scope, arr: Any) -> Any:
    nums = _numbers(arr)
    return None if not nums else sum(nums) / len(nums)


def _min(s: Scope, arr: Any) -> Any:
    nums = _numbers(arr)
    return None if not nums else min(nums)


def _max(s: Scope, arr: Any) -> Any:
    nums = _numbers(arr)
    return None if not nums else max(nums)


def _pt_text(s: Scope, blocks: Any) -> Any:
    if isinstance(blocks, dict):
        blocks = [blocks]
    if not isinstance(blocks, list):
        return None
    texts = []
    for block in blocks:
        if not isinstance(block, dict) or block.get("_type") != "block":
            continue
        children = block.get("children")
        if not isinstance(children, list):
            continue
        texts.append(
            "".join(
                c.get("text", "")
                for c in children
                if isinstance(c, dict)
                and c.get("_type") == "span"
                and isinstance(c.get("text"), str)
            )
        )
    return "\n\n".join(texts)


def _delta(which: str) -> Impl:
    def run(s: Scope) -> Any:
        delta = s.ctx.delta
        return delta.get(which) if delta else None

    return run


def _operation(s: Scope) -> Any:
    delta = s.ctx.delta
    if not delta:
        return None
    before, after = delta.get("before"), delta.get("after")
    if before is None and after is not None:
        return "create"
    if before is not None and after is None:
        return "delete"
    return "update" if before is not None else None


def _project_id(s: Scope) -> Any:
    return s.ctx.params.get("__projectId")


def _dataset(s: Scope) -> Any:
    return s.ctx.params.get("__dataset")


# name -> (min args, max args (None = any), impl)
FUNCTIONS: dict[str, tuple[int, int | None, Impl]] = {
    "global::count": (1, 1, _count),
    "global::defined": (1, 1, _defined),
    "global::length": (1, 1, _length),
    "global::lower": (1, 1, _lower),
    "global::upper": (1, 1, _upper),
    "global::string": (1, 1, _string),
    "global::round": (1, 2, _round),
    "global::now": (0, 0, _now),
    "global::dateTime": (1, 1, _datetime),
    "global::identity": (0, 0, _identity),
    "global::path": (1, 1, _path),
    "global::boost": (2, 2, _boost),
    "global::references": (1, None, _references),
    "global::before": (0, 0, _delta("before")),
    "global::after": (0, 0, _delta("after")),
    "global::operation": (0, 0, _operation),
    "delta::operation": (0, 0, _operation),
    "array::join": (2, 2, _join),
    "array::compact": (1, 1, _compact),
    "array::unique": (1, 1, _unique),
    "array::intersects": (2, 2, _intersects),
    "string::split": (2, 2, _split),
    "string::startsWith": (2, 2, _starts_with),
    "math::sum": (1, 1, _sum),
    "math::avg": (1, 1, _avg),
    "math::min": (1, 1, _min),
    "math::max": (1, 1, _max),
    "pt::text": (1, 1, _pt_text),
    "dateTime::now": (0, 0, _datetime_now),
    "sanity::projectId": (0, 0, _project_id),
    "sanity::dataset": (0, 0, _dataset),
}


def compile_call(
    compiler: Compiler, ns: str, name: str, args: tuple[Any, ...], start: int, end: int
) -> Fn:
    key = f"{ns}::{name}"
    if key == "global::coalesce":
        fns = [compiler.compile(a) for a in args]

        def coalesce(s: Scope) -> Any:
            for fn in fns:
                v = fn(s)
                if v is not None:
                    return v
            return None

        return coalesce
    if key == "global::select":
        return _compile_select(compiler, args, start, end)
    if key in ("global::order", "global::score"):
        raise GroqParseError(f"{name}() can only be used after a pipe |", start, end)
    spec = FUNCTIONS.get(key)
    if spec is None:
        raise GroqParseError(f"unknown function {name if ns == 'global' else key}()", start, end)
    lo, hi, impl = spec
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise GroqParseError(f"{name}() called with the wrong number of arguments", start, end)
    if key in ("global::now", "global::identity") and args:
        raise GroqParseError(f"{name}() takes no arguments", start, end)
    fns = [compiler.compile(a) for a in args]
    if key == "global::boost":
        fns[1]
    if len(fns) == 0:
        return lambda s: impl(s)
    if len(fns) == 1:
        f0 = fns[0]
        return lambda s: impl(s, f0(s))
    if len(fns) == 2:
        f0, f1 = fns
        return lambda s: impl(s, f0(s), f1(s))
    return lambda s: impl(s, *[f(s) for f in fns])


def _compile_select(compiler: Compiler, args: tuple[Any, ...], start: int, end: int) -> Fn:
    branches: list[tuple[Fn | None, Fn]] = []
    for i, a in enumerate(args):
        if a[0] == "pair":
            branches.append((compiler.compile(a[1]), compiler.compile(a[2])))
        elif i == len(args) - 1:
            branches.append((None, compiler.compile(a)))
        else:
            raise GroqParseError("select() takes cond => value pairs, then a default", start, end)

    def run(s: Scope) -> Any:
        for cond, value in branches:
            if cond is None or cond(s) is True:
                return value(s)
        return None

    return run


# --- pipe functions ------------------------------------------------------------------------
def compile_pipe(compiler: Compiler, call: tuple[Any, ...]) -> Callable[[Scope, Any], Any]:
    _, _ns, name, args, start, end = call
    if name == "order":
        if not args:
            raise GroqParseError("order() needs at least one argument", start, end)
        keys = []
        for a in args:
            if a[0] in ("asc", "desc"):
                keys.append((compiler.compile(a[1]), a[0] == "desc"))
            else:
                keys.append((compiler.compile(a), False))

        def order(s: Scope, value: Any) -> Any:
            if not isinstance(value, list):
                return None
            decorated = [([fn(s.child(x)) for fn, _ in keys], i, x) for i, x in enumerate(value)]
            directions = [desc for _, desc in keys]

            def cmp(a: Any, b: Any) -> int:
                for x, y, desc in zip(a[0], b[0], directions, strict=True):
                    c = total_compare(x, y)
                    if c:
                        return -c if desc else c
                return a[1] - b[1]

            decorated.sort(key=functools.cmp_to_key(cmp))
            return [x for _, _, x in decorated]

        return order
    if name == "score":
        if not args:
            raise GroqParseError("score() needs at least one argument", start, end)
        scorers = [_scorer(compiler, a) for a in args]

        def score(s: Scope, value: Any) -> Any:
            if not isinstance(value, list):
                return None
            scored = []
            for i, x in enumerate(value):
                if not isinstance(x, dict):
                    continue
                child = s.child(x)
                total = float(x.get("_score") or 0) if is_number(x.get("_score")) else 0.0
                total += sum(fn(child) for fn in scorers)
                scored.append((total, i, {**x, "_score": total}))
            scored.sort(key=lambda t: (-t[0], t[1]))
            return [x for _, _, x in scored]

        return score
    raise GroqQueryError(f"unknown pipe function {name}()")


def _scorer(compiler: Compiler, node: tuple[Any, ...]) -> Callable[[Scope], float]:
    if node[0] == "func" and node[1] == "global" and node[2] == "boost":
        inner = _scorer(compiler, node[3][0])
        amount = compiler.compile(node[3][1])

        def boosted(s: Scope) -> float:
            base = inner(s)
            factor = amount(s)
            return base * factor if base and is_number(factor) else 0.0

        return boosted
    if node[0] == "or":
        a, b = _scorer(compiler, node[1]), _scorer(compiler, node[2])
        return lambda s: a(s) + b(s)
    if node[0] == "and":
        a, b = _scorer(compiler, node[1]), _scorer(compiler, node[2])

        def both(s: Scope) -> float:
            x, y = a(s), b(s)
            return x + y if x and y else 0.0

        return both
    if node[0] == "match":
        from .matching import match_count

        left, right = compiler.compile(node[1]), compiler.compile(node[2])
        return lambda s: float(match_count(left(s), right(s)))
    fn = compiler.compile(node)
    return lambda s: 1.0 if fn(s) is True else 0.0


_unused = (Pair, datetime, UTC)
