"""Selectors for ``diff::changedAny`` / ``diff::changedOnly`` (and the ``delta::`` forms).

A selector names key paths in a document: ``title``, ``a.b``, ``items[]``, ``items[_type ==
"x"].price``, ``a.(b, c)``, ``(a, b)`` and ``anywhere(expr)``. It is not an expression, so it
has its own small grammar here; anything else is a parse error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .values import deep_equal

if TYPE_CHECKING:
    from .compiler import Compiler, Scope
    from .parser import Node, Parser

KeyPath = tuple[Any, ...]
SelectorFn = Callable[["Scope", Any], list[KeyPath]]


# --- parsing -----------------------------------------------------------------------------------
def parse_selector(p: Parser) -> Node:
    base = _primary(p)
    steps: list[Node] = []
    while True:
        if p.at("."):
            p.take()
            if p.at("("):
                steps.append(("nested", _parenthesised(p)))
            elif p.tok.kind == "ident":
                steps.append(("attr", p.take().value))
            else:
                p.fail("invalid selector")
        elif p.at("["):
            p.take()
            if p.at("]"):
                p.take()
                steps.append(("coerce",))
                continue
            start = p.tok
            expr = p.expression(0)
            if _constant_key(expr):
                p.fail("selectors cannot index arrays", start)
            p.expect("]")
            steps.append(("filter", expr))
        else:
            break
    return ("path", base, tuple(steps)) if steps else base


def _constant_key(expr: Node) -> bool:
    if expr[0] == "neg":
        expr = expr[1]
    return expr[0] == "lit" and isinstance(expr[1], int | float | str) and expr[1] is not True


def _primary(p: Parser) -> Node:
    tok = p.tok
    if tok.kind == "ident":
        p.take()
        if tok.value == "anywhere" and p.at("("):
            p.take()
            expr = p.expression(0)
            p.expect(")")
            return ("anywhere", expr)
        return ("attr", tok.value)
    if p.at("("):
        return _parenthesised(p)
    p.fail("invalid selector")
    raise AssertionError


def _parenthesised(p: Parser) -> Node:
    p.expect("(")
    members = [parse_selector(p)]
    while p.at(","):
        p.take()
        members.append(parse_selector(p))
    p.expect(")")
    return ("tuple", tuple(members)) if len(members) > 1 else ("group", members[0])


# --- evaluation -------------------------------------------------------------------------------
def compile_selector(compiler: Compiler, node: Node) -> SelectorFn:
    kind = node[0]
    if kind == "attr":
        name = node[1]
        return lambda s, value: [(name,)]
    if kind == "group":
        return compile_selector(compiler, node[1])
    if kind == "tuple":
        members = [compile_selector(compiler, m) for m in node[1]]
        return lambda s, value: [path for m in members for path in m(s, value)]
    if kind == "anywhere":
        test = compiler.compile(node[1])
        return lambda s, value: list(_anywhere(test, s, value, ()))
    assert kind == "path"
    fn = compile_selector(compiler, node[1])
    for step in node[2]:
        fn = _step(compiler, fn, step)
    return fn


def _step(compiler: Compiler, base: SelectorFn, step: Node) -> SelectorFn:
    kind = step[0]
    if kind == "attr":
        name = step[1]
        return lambda s, value: [(*path, name) for path in base(s, value)]
    if kind == "coerce":

        def coerce(s: Scope, value: Any) -> list[KeyPath]:
            out: list[KeyPath] = []
            for path in base(s, value):
                inner = value_at(value, path)
                if isinstance(inner, list):
                    out.extend((*path, i) for i in range(len(inner)))
            return out

        return coerce
    if kind == "filter":
        test = compiler.compile(step[1])

        def keep(s: Scope, value: Any) -> list[KeyPath]:
            out = []
            for path in base(s, value):
                inner = value_at(value, path)
                if isinstance(inner, list):
                    for i, item in enumerate(inner):
                        if test(s.child(item)) is True:
                            out.append((*path, i))
            return out

        return keep
    inner_fn = compile_selector(compiler, step[1])

    def nested(s: Scope, value: Any) -> list[KeyPath]:
        out: list[KeyPath] = []
        for path in base(s, value):
            inner = value_at(value, path)
            out.extend((*path, *sub) for sub in inner_fn(s, inner))
        return out

    return nested


def _anywhere(test: Any, s: Scope, value: Any, base: KeyPath) -> Iterator[KeyPath]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _anywhere(test, s, item, (*base, i))
    elif isinstance(value, dict):
        if test(s.hidden_child(value)) is True:
            yield base
        for key, item in value.items():
            yield from _anywhere(test, s, item, (*base, key))


def value_at(value: Any, path: KeyPath) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or not 0 <= key < len(value):
                return None
            value = value[key]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def changed_any(selector: SelectorFn, s: Scope, before: Any, after: Any) -> bool:
    before_paths = selector(s.hidden_child(before), before)
    after_paths = selector(s.hidden_child(after), after)
    if len(before_paths) != len(after_paths):
        return True
    for path in before_paths:
        for i, key in enumerate(path):
            if isinstance(key, int):
                a, b = value_at(before, path[:i]), value_at(after, path[:i])
                if not isinstance(a, list) or not isinstance(b, list) or len(a) != len(b):
                    return True
        if not deep_equal(value_at(before, path), value_at(after, path)):
            return True
    return False


def changed_only(selector: SelectorFn, s: Scope, before: Any, after: Any) -> bool:
    selected = selector(s.hidden_child(before), before)
    for diff in diff_paths(before, after, ()):
        if not any(diff[: len(sel)] == sel for sel in selected):
            return False
    return True


def diff_paths(a: Any, b: Any, base: KeyPath) -> Iterator[KeyPath]:
    """The smallest key paths at which two values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in {**a, **b}:
            yield from diff_paths(a.get(key), b.get(key), (*base, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from diff_paths(x, y, (*base, i))
    elif not deep_equal(a, b):
        yield base
