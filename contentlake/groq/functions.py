"""GROQ functions (``count``, ``coalesce``, ``array::*``, ``pt::text``…) and pipe functions
(``order``, ``score``), compiled against their argument closures."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import GroqParseError
from .selectors import changed_any, changed_only, compile_selector
from .values import (
    DateTime,
    Path,
    equal,
    is_number,
    parse_datetime,
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
    return len(v) if isinstance(v, str | list) else None


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
    if not is_number(v) or not is_number(precision) or precision != int(precision):
        return None
    if precision < 0:
        return None
    factor = 10 ** int(precision)
    result = math.copysign(math.floor(abs(v) * factor + 0.5) / factor, v)
    return int(result) if precision == 0 else result


def _now(s: Scope) -> Any:
    return s.ctx.now.iso()


def _datetime(s: Scope, v: Any) -> Any:
    if isinstance(v, DateTime):
        return v
    return parse_datetime(v)


def _datetime_now(s: Scope) -> Any:
    return s.ctx.now


def _identity(s: Scope) -> Any:
    return s.ctx.identity if s.ctx.identity is not None else "me"


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
    if not wanted:
        return False
    this, dataset = s.this, s.ctx.dataset
    if isinstance(this, dict) and dataset is not None:
        known = dataset.references_of(this)  # a stored document: use the reference index
        if known is not None:
            return not known.isdisjoint(wanted)
    return _has_ref(this, wanted)


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


def _pt_text(s: Scope, value: Any) -> Any:
    if isinstance(value, dict):
        return _block_text(value)
    if isinstance(value, list):
        texts: list[str] = []
        _blocks_text(value, texts)
        return "\n\n".join(texts) if texts else None
    return None


def _blocks_text(blocks: list[Any], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, dict):
            text = _block_text(block)
            if text is not None:
                out.append(text)
        elif isinstance(block, list):
            _blocks_text(block, out)


def _block_text(block: dict[str, Any]) -> str | None:
    children = block.get("children")
    if not isinstance(block.get("_type"), str) or not isinstance(children, list):
        return None
    return "".join(
        c["text"]
        for c in children
        if isinstance(c, dict) and c.get("_type") == "span" and isinstance(c.get("text"), str)
    )


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
    return (s.ctx.sanity or {}).get("projectId")


def _dataset(s: Scope) -> Any:
    return (s.ctx.sanity or {}).get("dataset")


def _part_of_release(s: Scope, release: Any) -> Any:
    doc_id = s.this.get("_id") if isinstance(s.this, dict) else None
    if not isinstance(release, str) or not isinstance(doc_id, str):
        return False
    return doc_id.startswith(f"versions.{release}.")


def _version_of(s: Scope, base_id: Any) -> Any:
    doc_id = s.this.get("_id") if isinstance(s.this, dict) else None
    if not isinstance(base_id, str) or not isinstance(doc_id, str):
        return False
    if doc_id in (base_id, f"drafts.{base_id}"):
        return True
    parts = doc_id.split(".", 2)
    return len(parts) == 3 and parts[0] == "versions" and parts[2] == base_id


def _releases(s: Scope) -> Any:
    dataset = s.ctx.dataset
    if dataset is None:
        return None
    return [d for d in dataset.documents if d.get("_type") == "system.release"]


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
    "delta::operation": (0, 0, _operation),
    "array::join": (2, 2, _join),
    "array::compact": (1, 1, _compact),
    "array::unique": (1, 1, _unique),
    "array::intersects": (2, 2, _intersects),
    "string::split": (2, 2, _split),
    "string::lower": (1, 1, _lower),
    "string::upper": (1, 1, _upper),
    "string::startsWith": (2, 2, _starts_with),
    "math::sum": (1, 1, _sum),
    "math::avg": (1, 1, _avg),
    "math::min": (1, 1, _min),
    "math::max": (1, 1, _max),
    "pt::text": (1, 1, _pt_text),
    "dateTime::now": (0, 0, _datetime_now),
    "sanity::projectId": (0, 0, _project_id),
    "sanity::dataset": (0, 0, _dataset),
    "sanity::partOfRelease": (1, 1, _part_of_release),
    "sanity::versionOf": (1, 1, _version_of),
    "releases::all": (0, 0, _releases),
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
    if key in ("diff::changedAny", "diff::changedOnly", "delta::changedAny", "delta::changedOnly"):
        return _compile_diff(compiler, key, args, start, end)
    if key == "global::boost" and not compiler.allow_boost:
        raise GroqParseError("boost() can only be used inside score()", start, end)
    spec = FUNCTIONS.get(key)
    if spec is None:
        if key in ("global::order", "global::score"):
            raise GroqParseError(f"{name}() can only be used after a pipe |", start, end)
        raise GroqParseError(f"unknown function {name if ns == 'global' else key}()", start, end)
    lo, hi, impl = spec
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise GroqParseError(f"{name}() called with the wrong number of arguments", start, end)
    fns = [compiler.compile(a) for a in args]
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


def _compile_diff(compiler: Compiler, key: str, args: tuple[Any, ...], start: int, end: int) -> Fn:
    delta = key.startswith("delta::")
    wanted = 1 if delta else 3
    if len(args) != wanted or args[-1][0] != "selector":
        raise GroqParseError(f"{key}() takes {wanted} argument(s), the last a selector", start, end)
    selector = compile_selector(compiler, args[-1][1])
    check = changed_any if key.endswith("changedAny") else changed_only
    if delta:

        def run_delta(s: Scope) -> Any:
            context = s.ctx.delta
            if not context:
                return None
            return check(selector, s, context.get("before"), context.get("after"))

        return run_delta
    before, after = compiler.compile(args[0]), compiler.compile(args[1])
    return lambda s: check(selector, s, before(s), after(s))
