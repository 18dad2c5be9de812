"""Rules for ``fn ns::name($p) = body;`` declarations, checked at parse time.

As in Sanity's engine: one parameter, used once in the body, and no ``^`` that reaches
out of the function's own scope.
"""

from __future__ import annotations

from typing import Any

from .errors import GroqParseError


def check_functions(functions: dict[str, tuple[list[str], Any, int, int]]) -> None:
    for key, (params, body, start, end) in functions.items():
        if len(params) != 1:
            raise GroqParseError(f"function {key} must take exactly one parameter", start, end)
        uses = _count_param(body, params[0])
        if uses != 1:
            raise GroqParseError(
                f"function {key} must use ${params[0]} exactly once (found {uses})", start, end
            )
        if _reaches_out(body, 0):
            raise GroqParseError(f"function {key} refers to a scope outside itself", start, end)


def _count_param(node: Any, name: str) -> int:
    count = 0
    stack = [node]
    while stack:
        cur = stack.pop()
        if not isinstance(cur, tuple):
            continue
        if cur and cur[0] == "param" and len(cur) == 2 and cur[1] == name:
            count += 1
        else:
            stack.extend(x for x in cur if isinstance(x, tuple))
    return count


def _reaches_out(node: Any, depth: int) -> bool:
    """Is there a ``^`` climbing ``depth`` or more scopes (i.e. past the function)?"""
    if not isinstance(node, tuple) or not node:
        return False
    kind = node[0]
    if not isinstance(kind, str):  # a tuple of nodes (function arguments, array items)
        return any(_reaches_out(x, depth) for x in node)
    if kind == "parent":
        return bool(node[1] >= depth)
    if kind == "trav":
        if _reaches_out(node[1], depth):
            return True
        for op in node[2]:
            nested = depth + 1 if op[0] in ("bracket", "project") else depth
            if any(_reaches_out(x, nested) for x in op[1:]):
                return True
        return False
    if kind == "pipe":
        return _reaches_out(node[1], depth) or any(_reaches_out(a, depth + 1) for a in node[3])
    return any(_reaches_out(x, depth) for x in node[1:])
