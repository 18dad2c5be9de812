"""Pipe functions: ``| order(...)`` and ``| score(...)`` (with ``boost()``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import GroqParseError
from .matching import match_score
from .values import is_number, sort_key

if TYPE_CHECKING:
    from .compiler import Compiler, Scope

Pipe = Callable[["Scope", list[Any]], Any]
Scorer = Callable[["Scope"], float]


def compile_pipe(
    compiler: Compiler, name: str, args: tuple[Any, ...], start: int, end: int
) -> Pipe:
    if name == "order":
        return _compile_order(compiler, args, start, end)
    if name == "score":
        if not args:
            raise GroqParseError("score() needs at least one argument", start, end)
        saved, compiler.allow_boost = compiler.allow_boost, True
        try:
            scorers = [_scorer(compiler, a) for a in args]
        finally:
            compiler.allow_boost = saved
        return _score(scorers)
    raise GroqParseError(f"unknown pipe function {name}()", start, end)


def _compile_order(compiler: Compiler, args: tuple[Any, ...], start: int, end: int) -> Pipe:
    if not args:
        raise GroqParseError("order() needs at least one argument", start, end)
    keys: list[tuple[Any, bool]] = []
    for a in args:
        if a[0] in ("asc", "desc"):
            keys.append((compiler.compile(a[1]), a[0] == "desc"))
        else:
            keys.append((compiler.compile(a), False))

    def order(s: Scope, value: list[Any]) -> Any:
        child = s.child
        rows: list[tuple[list[Any], Any]] = []
        for x in value:
            inner = child(x)
            rows.append(([sort_key(fn(inner)) for fn, _ in keys], x))
        # one stable sort per key, last key first: ties keep their input order, as groq-js
        for i in range(len(keys) - 1, -1, -1):
            rows.sort(key=_nth_key(i), reverse=keys[i][1])
        return [x for _, x in rows]

    return order


def _nth_key(i: int) -> Callable[[tuple[list[Any], Any]], Any]:
    return lambda row: row[0][i]


def _score(scorers: list[Scorer]) -> Pipe:
    def score(s: Scope, value: list[Any]) -> Any:
        scored = []
        for x in value:
            if not isinstance(x, dict):
                continue
            child = s.child(x)
            given = x.get("_score")
            total: float = given if is_number(given) else 0
            for fn in scorers:
                total += fn(child)
            scored.append({**x, "_score": total})
        scored.sort(key=lambda d: -d["_score"])
        return scored

    return score


def _scorer(compiler: Compiler, node: tuple[Any, ...]) -> Scorer:
    kind = node[0]
    if kind == "match":
        left, right = compiler.compile(node[1]), compiler.compile(node[2])
        return lambda s: match_score(left(s), right(s))
    if kind == "func" and node[1] == "global" and node[2] == "boost":
        if len(node[3]) != 2:
            raise GroqParseError("boost() takes 2 arguments", node[4], node[5])
        inner = _scorer(compiler, node[3][0])
        amount = compiler.compile(node[3][1])

        def boosted(s: Scope) -> float:
            base, factor = inner(s), amount(s)
            return base + factor if base > 0 and is_number(factor) else 0.0

        return boosted
    if kind == "or":
        a, b = _scorer(compiler, node[1]), _scorer(compiler, node[2])
        return lambda s: a(s) + b(s)
    if kind == "and":
        a, b = _scorer(compiler, node[1]), _scorer(compiler, node[2])

        def both(s: Scope) -> float:
            x, y = a(s), b(s)
            return 0.0 if x == 0 or y == 0 else x + y

        return both
    fn = compiler.compile(node)
    return lambda s: 1.0 if fn(s) is True else 0.0
