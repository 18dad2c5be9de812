"""GROQ text → syntax tree (plain tuples), by precedence climbing over the spec's table.

Node shapes (first item names the kind)::

    ("lit", value)  ("param", name)  ("this",)  ("parent", levels)  ("everything",)
    ("ident", name)  ("group", e)  ("array", ((spread, e), ...))  ("object", attrs)
    ("and"|"or", a, b)  ("not"|"neg"|"pos", a)  ("cmp", op, a, b)  ("in", a, b)
    ("inrange", a, lo, hi, exclusive)  ("match", a, b)  ("arith", op, a, b)
    ("func", ns, name, args, start, end)  ("pipe", base, name, args, start, end)
    ("trav", base, ops)  with ops ("attr", name) ("bracket", e) ("slice", lo, hi, excl, i, j)
                               ("flatten",) ("deref",) ("project", object)
    ("pair", cond, value) only inside select(); ("asc"|"desc", e) only inside order();
    ("selector", tree) only as the third argument of diff::changedAny/changedOnly.

Object attributes are ("kv", key, e), ("spread", e) and ("cond", condition, e).
Ranges, pairs and asc/desc are only accepted where the grammar allows them, so
``1 => 2`` or ``"a" .. "b"`` fail to parse, as they do with groq-js.
"""

from __future__ import annotations

from typing import Any

from .errors import GroqParseError
from .lexer import Token, tokenize
from .selectors import parse_selector

Node = tuple[Any, ...]

KEYWORD_LITERALS = {"true": True, "false": False, "null": None}
COMPARISON = {"==", "!=", "<", "<=", ">", ">="}
_INFIX = {
    "||": 2,
    "&&": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "in": 4,
    "match": 4,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "%": 7,
    "**": 9,
}
_WORD_OPERATORS = ("in", "match", "asc", "desc")
# functions taking a selector, and at which argument position
_SELECTOR_ARG = {
    ("diff", "changedAny"): 2,
    ("diff", "changedOnly"): 2,
    ("delta", "changedAny"): 0,
    ("delta", "changedOnly"): 0,
}


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.functions: dict[str, tuple[list[str], Node, int, int]] = {}

    # --- token helpers ----------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at(self, value: str, kind: str = "op") -> bool:
        tok = self.tokens[self.i]
        return tok.kind == kind and tok.value == value

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> Token:
        if not self.at(value):
            self.fail(f"expected {value!r}")
        return self.take()

    def fail(self, message: str, tok: Token | None = None) -> None:
        tok = tok or self.tok
        found = "end of query" if tok.kind == "eof" else repr(self.text[tok.start : tok.end])
        end = tok.end if tok.kind == "eof" else max(tok.end, tok.start + 1)
        raise GroqParseError(f"{message}, found {found}", tok.start, end, self.text)

    # --- entry --------------------------------------------------------------------------------
    def parse(self) -> Node:
        while self.tok.kind == "ident" and self.tok.value == "fn" and self.peek().kind == "ident":
            self.function_definition()
        if self.tok.kind == "eof":
            self.fail("expected an expression")
        node = self.expression(0)
        if self.tok.kind != "eof":
            self.fail("unexpected token")
        return node

    def function_definition(self) -> None:
        start = self.take()
        ns = self.take()
        if ns.kind != "ident" or not self.at("::"):
            self.fail("expected a namespaced function name", ns)
        self.take()
        name = self.take()
        if name.kind != "ident":
            self.fail("expected a function name", name)
        self.expect("(")
        params: list[str] = []
        while not self.at(")"):
            p = self.take()
            if p.kind != "param":
                self.fail("expected a $parameter", p)
            params.append(str(p.value))
            if not self.at(")"):
                self.expect(",")
        self.expect(")")
        self.expect("=")
        body = self.expression(0)
        end = self.expect(";")
        key = f"{ns.value}::{name.value}"
        if key in self.functions:
            self.fail(f"function {key} is defined twice", start)
        self.functions[key] = (params, body, start.start, end.end)

    # --- expressions ----------------------------------------------------------------------------
    def expression(self, min_bp: int) -> Node:
        left = self.prefix()
        while True:
            tok = self.tok
            if tok.kind == "op" or (tok.kind == "ident" and tok.value in _WORD_OPERATORS):
                op = tok.value
            else:
                return left
            if op in ("asc", "desc"):
                if min_bp > 4:
                    return left
                self.take()
                left = (op, left)
                continue
            bp = _INFIX.get(op) if isinstance(op, str) else None
            if bp is None or bp < min_bp:
                return left
            self.take()
            if op == "||":
                left = ("or", left, self.expression(bp + 1))
            elif op == "&&":
                left = ("and", left, self.expression(bp + 1))
            elif op in COMPARISON:
                left = ("cmp", op, left, self.expression(bp + 1))
                self.no_chain()
            elif op == "in":
                ranged = self.parenthesised_range()
                if ranged is not None:
                    left = ("inrange", left, *ranged)
                    self.no_chain()
                    continue
                right = self.expression(5)
                if self.at("..") or self.at("..."):
                    exclusive = self.take().value == "..."
                    left = ("inrange", left, right, self.expression(5), exclusive)
                else:
                    left = ("in", left, right)
                self.no_chain()
            elif op == "match":
                left = ("match", left, self.expression(bp + 1))
                self.no_chain()
            elif op == "**":
                left = ("arith", op, left, self.expression(bp))  # right-associative
            else:
                left = ("arith", op, left, self.expression(bp + 1))

    def parenthesised_range(self) -> tuple[Node, Node, bool] | None:
        """``x in (a .. b)``: a range may stand in parentheses right after ``in``."""
        if not self.at("("):
            return None
        mark = self.i
        self.take()
        try:
            lo = self.expression(5)
        except GroqParseError:
            self.i = mark
            return None
        if not (self.at("..") or self.at("...")):
            self.i = mark
            return None
        exclusive = self.take().value == "..."
        hi = self.expression(5)
        self.expect(")")
        return lo, hi, exclusive

    def no_chain(self) -> None:
        tok = self.tok
        op = tok.value if tok.kind in ("op", "ident") else None
        if isinstance(op, str) and _INFIX.get(op) == 4:
            self.fail("comparison operators cannot be chained")

    def prefix(self) -> Node:
        tok = self.tok
        if tok.kind == "op":
            if tok.value == "!":
                self.take()
                return ("not", self.expression(10))
            if tok.value == "-":
                self.take()
                return ("neg", self.expression(8))
            if tok.value == "+":
                self.take()
                return ("pos", self.expression(10))
        return self.postfix(self.primary())

    def primary(self) -> Node:
        tok = self.take()
        kind, value = tok.kind, tok.value
        if kind in ("num", "str"):
            return ("lit", value)
        if kind == "param":
            return ("param", value)
        if kind == "ident":
            assert isinstance(value, str)
            if self.at("::"):
                self.take()
                name = self.take()
                if name.kind != "ident":
                    self.fail("expected a function name", name)
                if not self.at("("):
                    self.fail("expected '(' after a namespaced function name")
                return self.call(value, str(name.value), tok)
            if self.at("("):
                return self.call("global", value, tok)
            if value in KEYWORD_LITERALS:
                return ("lit", KEYWORD_LITERALS[value])
            return ("ident", value)
        if kind == "op":
            if value == "*":
                return ("everything",)
            if value == "@":
                return ("this",)
            if value == "^":
                levels = 1
                while self.at(".") and self.peek().kind == "op" and self.peek().value == "^":
                    self.take()
                    self.take()
                    levels += 1
                return ("parent", levels)
            if value == "(":
                inner = self.expression(0)
                self.expect(")")
                return ("group", inner)
            if value == "[":
                return self.array()
            if value == "{":
                return self.object()
        self.i -= 1
        self.fail("expected an expression")
        raise AssertionError

    def call(self, ns: str, name: str, tok: Token) -> Node:
        self.expect("(")
        args: list[Node] = []
        while not self.at(")"):
            index = len(args)
            if _SELECTOR_ARG.get((ns, name)) == index:
                args.append(("selector", parse_selector(self)))
            elif ns == "global" and name == "select":
                arg = self.expression(0)
                if self.at("=>"):
                    self.take()
                    arg = ("pair", arg, self.expression(0))
                args.append(arg)
            else:
                args.append(self.expression(0))
            if not self.at(")"):
                self.expect(",")
        end = self.expect(")")
        return ("func", ns, name, tuple(args), tok.start, end.end)

    def array(self) -> Node:
        items: list[tuple[bool, Node]] = []
        while not self.at("]"):
            spread = False
            if self.at("..."):
                self.take()
                spread = True
            items.append((spread, self.expression(0)))
            if not self.at("]"):
                self.expect(",")
        self.expect("]")
        return ("array", tuple(items))

    def object(self) -> Node:
        attrs: list[Node] = []
        while not self.at("}"):
            start = self.tok
            if self.at("..."):
                self.take()
                if self.at(",") or self.at("}"):
                    attrs.append(("spread", ("this",)))
                else:
                    attrs.append(("spread", self.expression(0)))
            else:
                expr = self.expression(0)
                if self.at(":"):
                    self.take()
                    if not (expr[0] == "lit" and isinstance(expr[1], str)):
                        self.fail("object keys must be strings", start)
                    attrs.append(("kv", expr[1], self.expression(0)))
                elif self.at("=>"):
                    self.take()
                    attrs.append(("cond", expr, self.expression(0)))
                else:
                    key = implicit_key(expr)
                    if key is None:
                        self.fail("cannot determine a key for this projection value", start)
                    attrs.append(("kv", key, expr))
            if not self.at("}"):
                self.expect(",")
        self.expect("}")
        return ("object", tuple(attrs))

    def postfix(self, base: Node) -> Node:
        ops: list[Node] = []
        while True:
            if self.at("."):
                if self.peek().kind != "ident":
                    break
                self.take()
                ops.append(("attr", self.take().value))
            elif self.at("["):
                open_tok = self.take()
                if self.at("]"):
                    self.take()
                    ops.append(("flatten",))
                    continue
                inner = self.expression(0)
                if self.at("..") or self.at("..."):
                    exclusive = self.take().value == "..."
                    right = self.expression(0)
                    end = self.expect("]").end
                    ops.append(("slice", inner, right, exclusive, open_tok.start, end))
                    continue
                ops.append(("bracket", inner))
                self.expect("]")
            elif self.at("->"):
                self.take()
                ops.append(("deref",))
                if self.tok.kind == "ident" and not (
                    self.peek().kind == "op" and self.peek().value in ("(", "::")
                ):
                    ops.append(("attr", self.take().value))
            elif self.at("{"):
                self.take()
                ops.append(("project", self.object()))
            elif self.at("|"):
                self.take()
                if self.at("{"):  # `| {projection}` is the older spelling of a projection
                    self.take()
                    ops.append(("project", self.object()))
                    continue
                base = _traversal(base, ops)
                ops = []
                base = self.pipe(base)
            else:
                break
        return _traversal(base, ops)

    def pipe(self, base: Node) -> Node:
        name = self.take()
        if name.kind == "ident" and self.at("::"):
            if name.value != "global":
                self.fail("pipe functions live in the global namespace", name)
            self.take()
            name = self.take()
        if name.kind != "ident" or not self.at("("):
            self.fail("expected a pipe function like order(…) after |", name)
        self.expect("(")
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.expression(0))
            if not self.at(")"):
                self.expect(",")
        end = self.expect(")")
        return ("pipe", base, str(name.value), tuple(args), name.start, end.end)


def _traversal(base: Node, ops: list[Node]) -> Node:
    if not ops:
        return base
    return ("trav", base, tuple(ops))


def implicit_key(expr: Node) -> str | None:
    """The key a bare projection value gets: its last attribute name (``a.b->c`` → ``c``)."""
    if expr[0] == "ident":
        return str(expr[1])
    if expr[0] == "pipe":
        return implicit_key(expr[1])
    if expr[0] == "trav":
        for op in reversed(expr[2]):
            if op[0] == "attr":
                return str(op[1])
            if op[0] == "bracket" and op[1][0] == "lit" and isinstance(op[1][1], str):
                return op[1][1]
            if op[0] in ("project", "deref", "flatten", "bracket", "slice"):
                continue
            return None
        return implicit_key(expr[1])
    return None


def parse_tree(text: str) -> tuple[Node, dict[str, tuple[list[str], Node, int, int]]]:
    parser = Parser(text)
    return parser.parse(), parser.functions
