"""Syntax tree → Python closures, compiled once per query and run per document.

Square-bracket traversals are told apart (index, attribute or filter) by evaluating their
expression without a dataset, as the spec says; a query whose brackets or slices depend on
``$params`` is therefore compiled again for each distinct set of those parameter values
(:class:`~contentlake.groq.Query` caches the results). A subquery that reads
neither the current scope nor a parent one is evaluated once per query run, not once per
document.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import traversal as tv
from .analysis import cacheable, check_score_base, params_in
from .arith import ARITH
from .errors import GroqParseError, GroqQueryError, GroqStepLimitError
from .functions import compile_call
from .matching import match
from .membership import constant_array, in_constant, in_values
from .pipes import compile_pipe
from .planner import plan_filter
from .values import DateTime, equal, is_number, partial_compare

Fn = Callable[["Scope"], Any]
_NOT_CONSTANT = object()
_EPOCH = DateTime(datetime(1970, 1, 1, tzinfo=UTC))


class Context:
    """Everything one query run shares: dataset, params, clock, identity, memo, stats, and
    the evaluation steps it may still take (``steps_left``; unbounded unless given)."""

    __slots__ = (
        "dataset",
        "delta",
        "identity",
        "max_steps",
        "memo",
        "now",
        "params",
        "sanity",
        "stats",
        "steps_left",
    )

    def __init__(
        self,
        dataset: Any,
        params: dict[str, Any],
        now: DateTime,
        identity: str | None,
        stats: dict[str, int] | None = None,
        delta: dict[str, Any] | None = None,
        sanity: Mapping[str, Any] | None = None,
        max_steps: int | None = None,
    ) -> None:
        self.dataset, self.params, self.now, self.identity = dataset, params, now, identity
        self.stats, self.delta, self.sanity = stats, delta, sanity
        self.memo: dict[int, Any] = {}
        self.max_steps = max_steps
        self.steps_left: float = math.inf if max_steps is None else max_steps

    def out_of_steps(self) -> GroqStepLimitError:
        return GroqStepLimitError(
            f"the query needs more than {self.max_steps} evaluation steps "
            "(one per document or array element it visits)"
        )


class Scope:
    """``@`` is ``this``; ``^`` walks ``parent``. Hidden scopes (made by mapping over an
    array) are skipped by ``^``, as in groq-js.

    Every element a query visits — a document a filter tests, an element a projection, map,
    ``order()`` or ``score()`` evaluates — gets a child scope, so making one is the step the
    run's budget counts (:attr:`Context.steps_left`): the work of any query is bounded by a
    number of steps, whatever the machine's speed.
    """

    __slots__ = ("ctx", "hidden", "parent", "this")

    def __init__(self, this: Any, parent: Scope | None, ctx: Context, hidden: bool = False):
        self.this, self.parent, self.ctx, self.hidden = this, parent, ctx, hidden

    def child(self, this: Any) -> Scope:
        ctx = self.ctx
        ctx.steps_left -= 1
        if ctx.steps_left < 0:
            raise ctx.out_of_steps()
        return Scope(this, self.parent if self.hidden else self, ctx)

    def hidden_child(self, this: Any) -> Scope:
        ctx = self.ctx
        ctx.steps_left -= 1
        if ctx.steps_left < 0:
            raise ctx.out_of_steps()
        return Scope(this, self.parent if self.hidden else self, ctx, True)


class Compiler:
    def __init__(
        self,
        functions: dict[str, tuple[list[str], Any, int, int]],
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.fn_defs = functions
        self.params = params
        self.param_sensitive: set[str] = set()  # params that decide how brackets compile
        self.in_fn: list[str] = []
        self.allow_boost = False
        self._compiled: dict[tuple[int, bool, bool], Fn] = {}

    def compile(self, node: Any) -> Fn:
        # Each subtree compiles once per context: bracket disambiguation and the planner
        # compile subtrees again, which would be exponential in the nesting depth.
        key = (id(node), bool(self.in_fn), self.allow_boost)
        fn = self._compiled.get(key)
        if fn is None:
            method = getattr(self, f"c_{node[0]}", None)
            if method is None:
                raise GroqParseError(f"unexpected {node[0]}")
            fn = method(node)
            if node[0] in ("trav", "pipe", "func") and not self.in_fn and cacheable(node):
                fn = _memoised(fn, id(node))
            self._compiled[key] = fn
        return fn

    # --- constant evaluation (square-bracket disambiguation, slices) -----------------------
    def constant(self, node: Any) -> Any:
        if node[0] == "lit":
            return node[1]
        names = params_in(node)
        self.param_sensitive |= names
        if names and self.params is None:
            return _NOT_CONSTANT
        ctx = Context(None, dict(self.params or {}), _EPOCH, "me")
        saved, self.in_fn = self.in_fn, [*self.in_fn, "<constant>"]
        try:
            fn = self.compile(node)
        finally:
            self.in_fn = saved
        try:
            return fn(Scope(None, None, ctx))
        except (GroqQueryError, RecursionError):
            return _NOT_CONSTANT

    # --- simple expressions ----------------------------------------------------------------
    def c_lit(self, node: Any) -> Fn:
        value = node[1]
        return lambda s: value

    def c_group(self, node: Any) -> Fn:
        return self.compile(node[1])

    def c_this(self, node: Any) -> Fn:
        return lambda s: s.this

    def c_ident(self, node: Any) -> Fn:
        name = node[1]

        def run(s: Scope) -> Any:
            this = s.this
            return this.get(name) if isinstance(this, dict) else None

        return run

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

    def c_everything(self, node: Any) -> Fn:
        def run(s: Scope) -> Any:
            dataset = s.ctx.dataset
            return None if dataset is None else dataset.documents

        return run

    def c_array(self, node: Any) -> Fn:
        items = [(spread, self.compile(x)) for spread, x in node[1]]
        if not any(spread for spread, _ in items):
            fns = [fn for _, fn in items]
            return lambda s: [fn(s) for fn in fns]

        def run(s: Scope) -> Any:
            out: list[Any] = []
            for spread, fn in items:
                value = fn(s)
                if not spread:
                    out.append(value)
                elif isinstance(value, list):
                    out.extend(value)
            return out

        return run

    def c_object(self, node: Any) -> Fn:
        parts: list[tuple[int, Any, Fn]] = []
        for a in node[1]:
            if a[0] == "kv":
                parts.append((0, a[1], self.compile(a[2])))
            elif a[0] == "spread":
                parts.append((1, None, self.compile(a[1])))
            else:  # conditional projection: cond => {…}
                parts.append((2, self.compile(a[1]), self.compile(a[2])))
        if all(kind == 0 for kind, _, _ in parts):
            pairs = [(key, fn) for _, key, fn in parts]
            return lambda s: {key: fn(s) for key, fn in pairs}

        def run(s: Scope) -> Any:
            out: dict[str, Any] = {}
            for kind, key, fn in parts:
                if kind == 0:
                    out[key] = fn(s)
                elif kind == 1 or key(s) is True:
                    value = fn(s)
                    if isinstance(value, dict):
                        out.update(value)
            return out

        return run

    def c_pair(self, node: Any) -> Fn:
        raise GroqParseError("unexpected =>")

    def c_asc(self, node: Any) -> Fn:
        raise GroqParseError("unexpected asc")

    def c_desc(self, node: Any) -> Fn:
        raise GroqParseError("unexpected desc")

    def c_selector(self, node: Any) -> Fn:
        raise GroqParseError("a selector is only allowed in diff:: and delta:: functions")

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
        test: Callable[[int], bool] = {
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
        needle, hay = self.compile(node[1]), self.compile(node[2])
        if constant_array(node[2]) and not self.in_fn:
            return in_constant(needle, hay, id(node))
        return in_values(needle, hay)

    def c_inrange(self, node: Any) -> Fn:
        a, lo, hi, exclusive = (*map(self.compile, node[1:4]), node[4])

        def run(s: Scope) -> Any:
            value = a(s)
            left = partial_compare(value, lo(s))
            if left is None:
                return None
            right = partial_compare(value, hi(s))
            if right is None:
                return None
            return left >= 0 and (right < 0 if exclusive else right <= 0)

        return run

    def c_match(self, node: Any) -> Fn:

        a, b = self.compile(node[1]), self.compile(node[2])
        return lambda s: match(a(s), b(s))

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

        op, a, b = ARITH[node[1]], self.compile(node[2]), self.compile(node[3])
        return lambda s: op(a(s), b(s))

    # --- functions ----------------------------------------------------------------------------
    def c_func(self, node: Any) -> Fn:

        _, ns, name, args, start, end = node
        key = f"{ns}::{name}"
        if key in self.fn_defs:
            return self.custom_call(key, args, start, end)
        return compile_call(self, ns, name, args, start, end)

    def c_pipe(self, node: Any) -> Fn:

        if node[2] == "score":
            check_score_base(node[1], node[4], node[5])
        base = self.compile(node[1])
        apply = compile_pipe(self, node[2], node[3], node[4], node[5])

        def run(s: Scope) -> Any:
            value = base(s)
            return apply(s, value) if isinstance(value, list) else None

        return run

    def custom_call(self, key: str, args: tuple[Any, ...], start: int, end: int) -> Fn:
        params, body, _, _ = self.fn_defs[key]
        if len(args) != len(params):
            raise GroqParseError(f"function {key}() takes {len(params)} argument(s)", start, end)
        if key in self.in_fn:
            raise GroqParseError(f"function {key}() calls itself", start, end)
        arg_fns = [self.compile(a) for a in args]
        self.in_fn.append(key)
        try:
            compiled_body = self.compile(body)
        finally:
            self.in_fn.pop()

        def run(s: Scope) -> Any:
            ctx = s.ctx
            saved = ctx.params
            values = {p: f(s) for p, f in zip(params, arg_fns, strict=True)}
            ctx.params = {**saved, **values}
            try:
                return compiled_body(Scope(None, None, ctx))
            finally:
                ctx.params = saved

        return run

    # --- traversal ----------------------------------------------------------------------------
    def c_trav(self, node: Any) -> Fn:

        base_node, ops = node[1], node[2]
        steps: list[tuple[str, tv.Builder]] = []
        for i, op in enumerate(ops):
            kind, build = self.step(op)
            if i == 0 and kind == "filter" and base_node[0] == "everything":
                planned = plan_filter(self, op[1])
                build = _replacing(planned)
            steps.append(("array" if kind == "filter" else kind, build))
        array_source = base_node[0] in ("everything", "array", "pipe")
        return tv.fold(steps, array_source)(self.compile(base_node))

    def step(self, op: Any) -> tuple[str, tv.Builder]:
        kind = op[0]
        if kind == "attr":
            return ("plain", tv.attribute(op[1]))
        if kind == "deref":
            return ("plain", tv.dereference)
        if kind == "flatten":
            return ("array", tv.coerce_array)
        if kind == "project":
            return ("projection", tv.projection(self.compile(op[1])))
        if kind == "slice":
            lo, hi = self.constant(op[1]), self.constant(op[2])
            if self.params is None and params_in(op[1:3]):
                return ("array", _needs_params)  # compiled again once the params are known
            missing = sorted(params_in(op[1:3]) - set(self.params or ()))
            if missing:
                raise GroqQueryError(f"param ${missing[0]} referenced, but not provided")
            if not (is_number(lo) and is_number(hi)):
                raise GroqParseError("slicing must use constant numbers", op[4], op[5])
            return ("array", tv.slice_of(int(lo), int(hi), not op[3]))
        value = self.constant(op[1])
        if is_number(value):
            return ("element", tv.element(value))
        if isinstance(value, str):
            return ("plain", tv.attribute(value))
        return ("filter", tv.filtered(self.compile(op[1])))


def _replacing(fn: Fn) -> tv.Builder:
    """A step that runs ``fn`` whatever it is given (a planned filter reads the dataset)."""
    return lambda _base: fn


def _needs_params(base: Fn) -> Fn:
    def run(s: Scope) -> Any:
        raise GroqQueryError("internal: this query must be compiled with its parameters")

    return run


def _memoised(fn: Fn, key: int) -> Fn:
    def run(s: Scope) -> Any:
        memo = s.ctx.memo
        try:
            return memo[key]
        except KeyError:
            value = memo[key] = fn(s)
            return value

    return run
