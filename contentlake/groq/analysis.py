"""Static facts about syntax trees that decide how the compiler treats a subtree."""

from __future__ import annotations

from typing import Any

from .errors import GroqParseError

# function namespaces whose results depend only on their arguments (and the query's clock)
_PURE_NAMESPACES = ("global", "array", "math", "string", "pt", "dateTime")


def check_score_base(base: Any, start: int, end: int) -> None:
    """``score()`` ranks documents: not a projection or a single element (groq-js skips this
    check; the suite's "score() function / Illegal use" tests expect it)."""
    if base[0] != "trav":
        return
    for op in base[2]:
        if op[0] == "project":
            raise GroqParseError("score() cannot follow a projection", start, end)
        if op[0] == "bracket" and op[1][0] in ("lit", "neg") and not isinstance(op[1][-1], str):
            raise GroqParseError("score() needs an array of documents", start, end)


def params_in(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple):
            if cur and cur[0] == "param" and len(cur) == 2 and isinstance(cur[1], str):
                found.add(cur[1])
            else:
                stack.extend(x for x in cur if isinstance(x, tuple))
    return found


def cacheable(node: Any) -> bool:
    """Does the expression read the whole dataset but neither ``@`` nor ``^``?"""
    has_star = False
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        cur, depth = stack.pop()
        kind = cur[0]
        if kind in ("this", "ident"):
            if depth == 0:
                return False
        elif kind in ("parent", "selector"):
            return False
        elif kind == "everything":
            has_star = True
        elif kind == "func":
            if cur[1] not in _PURE_NAMESPACES or cur[2] in ("references", "boost"):
                return False
            stack.extend((a, depth) for a in cur[3])
        elif kind == "trav":
            stack.append((cur[1], depth))
            for op in cur[2]:
                if op[0] in ("bracket", "project"):
                    stack.append((op[1], depth + 1))
                elif op[0] == "slice":
                    stack.extend(((op[1], depth), (op[2], depth)))
        elif kind == "pipe":
            stack.append((cur[1], depth))
            stack.extend((a, depth + 1) for a in cur[3])
        elif kind == "array":
            stack.extend((x, depth) for _, x in cur[1])
        elif kind == "object":
            for attr in cur[1]:
                stack.extend((x, depth) for x in attr[1:] if isinstance(x, tuple))
        elif kind not in ("lit", "param"):
            stack.extend((x, depth) for x in cur[1:] if isinstance(x, tuple))
    return has_star
