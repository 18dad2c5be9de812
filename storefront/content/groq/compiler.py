"""Syntax tree → Python closures, compiled once per query and run per document.

Traversals follow GROQ's mapping rule: after an array-producing step (``[]``, a filter, a
slice) attribute access, dereference and projection apply to every element; ``[index]``
applies to the array itself. A subquery that never looks at an outer scope (``^``) is
evaluated once per query run, not once per document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import GroqQueryError
from .values import (
    DateTime,
    Pair,
    Path,
    Range,
    equal,
    is_number,
    partial_compare,
    total_compare,
    truthy,
)

Fn = Callable[["Scope"], Any]


class Context:
    __slots__ = ("dataset", "delta", "functions", "identity", "memo", "now", "params", "stats")

    def __init__(
        self,
        dataset: Any,
        params: dict[str, Any],
        now: DateTime,
        identity: str | None,
        functions: dict[str, Any],
        stats: dict[str, int] | None,
        delta: dict[str, Any] | None = None,
    ) -> None:
        self.dataset, self.params, self.now, self.identity = dataset, params, now, identity
        self.functions, self.stats, self.delta = functions, stats, delta
        self.memo: dict[int, Any] = {}


class Scope:
    __slots__ = ("ctx", "parent", "this")

    def __init__(self, this: Any, parent: Scope | None, ctx: Context) -> None:
        self.this, self.parent, self.ctx = this, parent, ctx

    def child(self, this: Any) -> Scope:
        return Scope(this, self, self.ctx)


def attr(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def deref(value: Any, scope: Scope) -> Any:
    if isinstance(value, dict):
        ref = value.get("_ref")
        if isinstance(ref, str):
            return scope.ctx.dataset.get(ref)
    return None


def uses_parent(node: Any) -> bool:
    """Does the tree refer to an enclosing scope (``^``)? (Iterative: trees can be deep.)"""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple):
            if cur and cur[0] == "parent":
                return True
            stack.extend(cur)
    return False


class Compiler:
    def __init__(self, functions: dict[str, tuple[list[str], Any]]) -> None:
        self.fn_defs = functions
        self.in_fn = 0

    def compile(self, node: Any) -> Fn:
        kind = node[0]
        method = getattr(self, f"c_{kind}", None)
        if method is None:
            raise GroqQueryError(f"cannot evaluate {kind}")
        return method(node)

    # --- simple expressions ---------------------------------------------------------------
    def c_lit(self, node: Any) -> Fn:
        value = node[1]
        return lambda s: value

    def c_group(self, node: Any) -> Fn:
        return self.compile(node[1])

    def c_this(self, node: Any) -> Fn:
        return lambda s: s.this

    def c_parent(self, node: Any) -> Fn:
        levels = node[1]

        def run(s: Scope) -> Any:
            cur: Scope | None = s
            for _ in range(levels):
                cur = cur.parent if cur is not None else None
            return cur.this if cur is not None else None

        return run

    def c_param(self, node: Any) -> Fn:
        name = node[1]

        def run(s: Scope) -> Any:
            params = s.ctx.params
            if name not in params:
                raise GroqQueryError(f"param ${name} referenced, but not provided")
            return params[name]

        return run

    def c_attr(self, node: Any) -> Fn:
        name = node[2]
        return lambda s: s.this.get(name) if isinstance(s.this, dict) else None

    def c_everything(self, node: Any) -> Fn:
        return lambda s: list(s.ctx.dataset.documents)

    def c_array(self, node: Any) -> Fn:
        items = [(spread, self.compile(x)) for spread, x in node[1]]

        def run(s: Scope) -> Any:
            out: list[Any] = []
            for spread, fn in items:
                value = fn(s)
                if spread:
                    if isinstance(value, list):
                        out.extend(value)
                else:
                    out.append(value)
            return out

        return run

    def c_object(self, node: Any) -> Fn:
        parts: list[tuple[str, Any, Any]] = []
        for a in node[1]:
            if a[0] == "kv":
                parts.append(("kv", a[1], self.compile(a[2])))
            elif a[0] == "spread":
                parts.append(("spread", None, self.compile(a[1])))
            else:  # conditional projection: cond => {…}
                parts.append(("cond", self.compile(a[1]), self.compile(a[2])))

        def run(s: Scope) -> Any:
            out: dict[str, Any] = {}
            for kind, key, fn in parts:
                if kind == "kv":
                    out[key] = fn(s)
                elif kind == "spread" or truthy(key(s)):
                    value = fn(s)
                    if isinstance(value, dict):
                        out.update(value)
            return out

        return run

    # --- operators --------------------------------------------------------------------------
    def _operands(self, node: Any) -> list[Fn]:
        """``a || b || c …`` as a flat list (long generated filters must not recurse deep)."""
        kind, stack, flat = node[0], [node], []
        while stack:
            cur = stack.pop()
            if cur[0] == kind:
                stack.append(cur[2])
                stack.append(cur[1])
            else:
                flat.append(cur)
        return [self.compile(x) for x in flat]

    def c_and(self, node: Any) -> Fn:
        fns = self._operands(node)

        def run(s: Scope) -> Any:
            result: Any = True
            for fn in fns:
                v = fn(s)
                if v is False:
                    return False
                if v is not True:
                    result = None
            return result

        return run

    def c_or(self, node: Any) -> Fn:
        fns = self._operands(node)

        def run(s: Scope) -> Any:
            result: Any = False
            for fn in fns:
                v = fn(s)
                if v is True:
                    return True
                if v is not False:
                    result = None
            return result

        return run

    def c_not(self, node: Any) -> Fn:
        a = self.compile(node[1])

        def run(s: Scope) -> Any:
            v = a(s)
            return (not v) if isinstance(v, bool) else None

        return run

    def c_cmp(self, node: Any) -> Fn:
        op, a, b = node[1], self.compile(node[2]), self.compile(node[3])
        if op == "==":
            return lambda s: equal(a(s), b(s))
        if op == "!=":
            return lambda s: not equal(a(s), b(s))
        test = {
            "<": lambda c: c < 0,
            "<=": lambda c: c <= 0,
            ">": lambda c: c > 0,
            ">=": lambda c: c >= 0,
        }[op]

        def run(s: Scope) -> Any:
            c = partial_compare(a(s), b(s))
            return None if c is None else test(c)

        return run

    def c_in(self, node: Any) -> Fn:
        a, b = self.compile(node[1]), self.compile(node[2])

        def run(s: Scope) -> Any:
            needle, hay = a(s), b(s)
            if isinstance(hay, list):
                return any(equal(needle, x) for x in hay)
            if isinstance(hay, Range):
                lo = partial_compare(needle, hay.left)
                hi = partial_compare(needle, hay.right)
                if lo is None or hi is None:
                    return None
                return lo >= 0 and (hi < 0 if hay.exclusive else hi <= 0)
            if isinstance(hay, Path):
                if isinstance(needle, Path):
                    needle = needle.pattern
                return hay.matches(needle) if isinstance(needle, str) else False
            return None

        return run

    def c_match(self, node: Any) -> Fn:
        from .matching import match

        a, b = self.compile(node[1]), self.compile(node[2])
        return lambda s: match(a(s), b(s))

    def c_range(self, node: Any) -> Fn:
        a, b, excl = self.compile(node[1]), self.compile(node[2]), node[3]

        def run(s: Scope) -> Any:
            left, right = a(s), b(s)
            if partial_compare(left, right) is None:
                return None
            return Range(left, right, excl)

        return run

    def c_pair(self, node: Any) -> Fn:
        a, b = self.compile(node[1]), self.compile(node[2])
        return lambda s: Pair(a(s), b(s))

    def c_neg(self, node: Any) -> Fn:
        a = self.compile(node[1])

        def run(s: Scope) -> Any:
            v = a(s)
            return -v if is_number(v) else None

        return run

    def c_pos(self, node: Any) -> Fn:
        a = self.compile(node[1])

        def run(s: Scope) -> Any:
            v = a(s)
            return v if is_number(v) else None

        return run

    def c_arith(self, node: Any) -> Fn:
        from .arith import ARITH

        op, a, b = ARITH[node[1]], self.compile(node[2]), self.compile(node[3])
        return lambda s: op(a(s), b(s))

    # --- functions ----------------------------------------------------------------------------
    def c_func(self, node: Any) -> Fn:
        from .functions import compile_call

        _, ns, name, args, start, end = node
        key = f"{ns}::{name}"
        if key in self.fn_defs:
            return self.custom_call(key, args, start, end)
        return compile_call(self, ns, name, args, start, end)

    def custom_call(self, key: str, args: tuple[Any, ...], start: int, end: int) -> Fn:
        params, body = self.fn_defs[key]
        if len(args) != len(params):
            raise GroqQueryError(f"function {key}() takes {len(params)} argument(s)")
        self.in_fn += 1
        try:
            compiled_body = self.compile(body)
        finally:
            self.in_fn -= 1
        arg_fns = [self.compile(a) for a in args]

        def run(s: Scope) -> Any:
            ctx = s.ctx
            saved = ctx.params
            ctx.params = {**saved, **{p: f(s) for p, f in zip(params, arg_fns, strict=True)}}
            try:
                return compiled_body(s)
            finally:
                ctx.params = saved

        return run

    # --- traversal ----------------------------------------------------------------------------
    def c_chain(self, node: Any) -> Fn:
        from .planner import plan_filter

        base_node, ops = node[1], node[2]
        base = self.compile(base_node)
        start = 0
        if base_node[0] == "everything" and ops and ops[0][0] == "filter":
            base = plan_filter(self, ops[0][1])
            start = 1
            steps = [("filtered", None)]
        else:
            steps = []
        for op in ops[start:]:
            steps.append(self.step(op))
        run = _run_chain(base, steps, base_node[0] in ("everything", "array"))
        if base_node[0] == "everything" and not self.in_fn and not uses_parent(node):
            key = id(node)

            def memoised(s: Scope) -> Any:
                memo = s.ctx.memo
                if key not in memo:
                    memo[key] = run(s)
                return memo[key]

            return memoised
        return run

    def step(self, op: Any) -> tuple[str, Any]:
        kind = op[0]
        if kind == "attr":
            return ("attr", op[1])
        if kind == "deref":
            return ("deref", None)
        if kind == "flatten":
            return ("flatten", None)
        if kind == "project":
            return ("project", self.compile(op[1]))
        if kind == "filter":
            return ("filter", self.compile(op[1]))
        if kind == "index":
            return ("index", op[1][1])
        if kind == "dynamic":
            return ("dynamic", self.compile(op[1]))
        if kind == "slice":
            return ("slice", (self.compile(op[1]), self.compile(op[2]), op[3]))
        if kind == "pipe":
            from .functions import compile_pipe

            return ("pipe", compile_pipe(self, op[1]))
        raise GroqQueryError(f"unknown traversal {kind}")


def _run_chain(base: Fn, steps: list[tuple[str, Any]], array_source: bool) -> Fn:
    def run(s: Scope) -> Any:
        value = base(s)
        mapping = array_source
        for kind, arg in steps:
            if kind == "filtered":
                mapping = True
            elif kind == "attr":
                value = (
                    [attr(x, arg) for x in value]
                    if mapping and isinstance(value, list)
                    else attr(value, arg)
                )
            elif kind == "deref":
                value = (
                    [deref(x, s) for x in value]
                    if mapping and isinstance(value, list)
                    else deref(value, s)
                )
            elif kind == "project":
                if isinstance(value, list) and mapping:
                    value = [arg(s.child(x)) if isinstance(x, dict) else None for x in value]
                    mapping = True
                else:
                    value = arg(s.child(value)) if isinstance(value, dict) else None
            elif kind == "flatten":
                if not isinstance(value, list):
                    value = None
                elif mapping:
                    flat: list[Any] = []
                    for x in value:
                        if isinstance(x, list):
                            flat.extend(x)
                        else:
                            flat.append(x)
                    value = flat
                mapping = True
            elif kind == "filter":
                if isinstance(value, list):
                    value = [x for x in value if arg(s.child(x)) is True]
                    mapping = True
                else:
                    value = None
            elif kind == "index":
                value = _index(value, arg)
                mapping = False
            elif kind == "dynamic":
                key = arg(s)
                if is_number(key):
                    value = _index(value, key)
                    mapping = False
                elif isinstance(key, str):
                    value = (
                        [attr(x, key) for x in value]
                        if mapping and isinstance(value, list)
                        else attr(value, key)
                    )
                elif isinstance(key, Range):
                    value = _slice(value, key.left, key.right, key.exclusive)
                    mapping = True
                elif isinstance(value, list):
                    value = value if key is True else []
                    mapping = True
                else:
                    value = None
            elif kind == "slice":
                lo, hi, excl = arg
                value = _slice(value, lo(s), hi(s), excl)
                mapping = True
            elif kind == "pipe":
                value = arg(s, value)
                mapping = True
            if value is None and kind not in ("attr", "deref", "project"):
                mapping = False
        return value

    return run


def _index(value: Any, index: Any) -> Any:
    if not isinstance(value, list) or not is_number(index) or index != int(index):
        return None
    i = int(index)
    if -len(value) <= i < len(value):
        return value[i]
    return None


def _slice(value: Any, lo: Any, hi: Any, exclusive: bool) -> Any:
    if not isinstance(value, list) or not is_number(lo) or not is_number(hi):
        return None
    n = len(value)
    start = int(lo) + n if lo < 0 else int(lo)
    end = int(hi) + n if hi < 0 else int(hi)
    if not exclusive:
        end += 1
    start, end = max(0, min(start, n)), max(0, min(end, n))
    return value[start:end] if start < end else []


def sort_key_compare(a: list[Any], b: list[Any], directions: list[bool]) -> int:
    for x, y, descending in zip(a, b, directions, strict=True):
        c = total_compare(x, y)
        if c:
            return -c if descending else c
    return 0
