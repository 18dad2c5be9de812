"""GROQ text → syntax tree (tuples), by precedence climbing (the spec's table, §9).

Nodes are tuples whose first item names the kind; see :mod:`.compiler` for their meaning.
"""

from __future__ import annotations

from typing import Any

from .errors import GroqParseError
from .lexer import Token, tokenize

Node = tuple[Any, ...]

COMPARISON = {"==", "!=", "<", "<=", ">", ">="}
KEYWORD_LITERALS = {"true": True, "false": False, "null": None}


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.functions: dict[str, tuple[list[str], Node]] = {}

    # --- token helpers ----------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at(self, value: str, kind: str = "op") -> bool:
        return self.tok.kind == kind and self.tok.value == value

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def expect(self, value: str) -> Token:
        if not self.at(value):
            self.fail(f"expected {value!r}")
        return self.take()

    def fail(self, message: str, tok: Token | None = None) -> None:
        tok = tok or self.tok
        found = "end of query" if tok.kind == "eof" else repr(self.text[tok.start : tok.end])
        raise GroqParseError(
            f"{message}, found {found}",
            tok.start,
            max(tok.end, tok.start + 1) if tok.kind != "eof" else tok.end,
            self.text,
        )

    # --- entry ------------------------------------------------------------------------------
    def parse(self) -> Node:
        while self.tok.kind == "ident" and self.tok.value == "fn":
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
        self.expect(";")
        key = f"{ns.value}::{name.value}"
        if key in self.functions:
            self.fail(f"function {key} is defined twice", start)
        self.functions[key] = (params, body)

    # --- expressions --------------------------------------------------------------------------
    def expression(self, min_bp: int) -> Node:
        left = self.prefix()
        while True:
            tok = self.tok
            op = (
                tok.value
                if tok.kind == "op"
                else (tok.value if tok.kind == "ident" and tok.value in ("in", "match") else None)
            )
            if op is None:
                return left
            bp = _INFIX.get(op)  # type: ignore[arg-type]
            if bp is None or bp < min_bp:
                return left
            self.take()
            if op == "=>":
                left = ("pair", left, self.expression(bp + 1))
            elif op == "||":
                left = ("or", left, self.expression(bp + 1))
            elif op == "&&":
                left = ("and", left, self.expression(bp + 1))
            elif op in COMPARISON:
                left = ("cmp", op, left, self.expression(bp + 1))
                self.no_chain(4)
            elif op == "in":
                left = ("in", left, self.expression(bp + 1))
                self.no_chain(4)
            elif op == "match":
                left = ("match", left, self.expression(bp + 1))
                self.no_chain(4)
            elif op in ("..", "..."):
                left = ("range", left, self.expression(bp + 1), op == "...")
                self.no_chain(5)
            elif op == "**":
                left = ("arith", op, left, self.expression(bp))  # right-associative
            else:
                left = ("arith", op, left, self.expression(bp + 1))

    def no_chain(self, bp: int) -> None:
        tok = self.tok
        op = tok.value if tok.kind in ("op", "ident") else None
        if op in _INFIX and _INFIX[op] == bp:  # type: ignore[index]
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
        if kind == "num":
            return ("lit", value)
        if kind == "str":
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
            return ("attr", None, value)
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
            args.append(self.order_argument() if name in ("order",) else self.expression(0))
            if not self.at(")"):
                self.expect(",")
        self.expect(")")
        return ("func", ns, name, tuple(args), tok.start, self.tokens[self.i - 1].end)

    def order_argument(self) -> Node:
        expr = self.expression(0)
        if self.tok.kind == "ident" and self.tok.value in ("asc", "desc"):
            return (self.take().value, expr)
        return expr

    def array(self) -> Node:
        items: list[tuple[bool, Node]] = []
        while not self.at("]"):
            if self.at("..."):
                self.take()
                items.append((True, self.expression(0)))
            else:
                items.append((False, self.expression(0)))
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
                elif expr[0] == "pair":
                    attrs.append(("cond", expr[1], expr[2]))
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
                nxt = self.peek()
                if nxt.kind != "ident":
                    return _chain(base, ops)
                self.take()
                ops.append(("attr", self.take().value))
            elif self.at("["):
                self.take()
                if self.at("]"):
                    self.take()
                    ops.append(("flatten",))
                else:
                    inner = self.expression(0)
                    self.expect("]")
                    ops.append(_bracket(inner))
            elif self.at("->"):
                self.take()
                ops.append(("deref",))
                if self.tok.kind == "ident" and self.peek().value != "(":
                    ops.append(("attr", self.take().value))
            elif self.at("{"):
                self.take()
                ops.append(("project", self.object()))
            elif self.at("|"):
                self.take()
                if self.at("{"):  # legacy: `| {projection}`
                    self.take()
                    ops.append(("project", self.object()))
                    continue
                name = self.take()
                if name.kind == "ident" and name.value == "global" and self.at("::"):
                    self.take()
                    name = self.take()
                if name.kind != "ident" or not self.at("("):
                    self.fail("expected a pipe function like order(…) after |", name)
                call = self.call("global", str(name.value), name)
                if call[2] not in ("order", "score"):
                    self.fail(f"unknown pipe function {call[2]}()", name)
                ops.append(("pipe", call))
            else:
                return _chain(base, ops)


def _chain(base: Node, ops: list[Node]) -> Node:
    if not ops:
        return base
    if base[0] == "chain":
        return ("chain", base[1], base[2] + tuple(ops))
    return ("chain", base, tuple(ops))


def _bracket(inner: Node) -> Node:
    if inner[0] == "range":
        return ("slice", inner[1], inner[2], inner[3])
    if inner[0] == "lit" and isinstance(inner[1], str):
        return ("attr", inner[1])
    if inner[0] == "lit" and isinstance(inner[1], int | float) and not isinstance(inner[1], bool):
        return ("index", inner)
    if inner[0] == "neg" and inner[1][0] == "lit" and isinstance(inner[1][1], int | float):
        return ("index", ("lit", -inner[1][1]))
    if inner[0] == "param" or _document_free(inner):
        return ("dynamic", inner)
    return ("filter", inner)


def _document_free(node: Node) -> bool:
    """Arithmetic on literals and params only, e.g. ``[3*(2+1)/3]``: an index, not a filter."""
    kind = node[0]
    if kind in ("lit", "param"):
        return kind == "param" or not isinstance(node[1], bool)
    if kind == "arith":
        return _document_free(node[2]) and _document_free(node[3])
    if kind in ("neg", "pos", "group"):
        return _document_free(node[1])
    return False


def implicit_key(expr: Node) -> str | None:
    if expr[0] == "attr" and expr[1] is None:
        return str(expr[2])
    if expr[0] == "chain":
        for op in reversed(expr[2]):
            if op[0] == "attr":
                return str(op[1])
            if op[0] in ("project", "deref", "flatten", "filter", "slice", "index", "dynamic"):
                continue
            return None
        return implicit_key(expr[1])
    return None


_INFIX = {
    "=>": 1,
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
    "..": 5,
    "...": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "%": 7,
    "**": 9,
}
_RIGHT = {"**"}


def parse_tree(text: str) -> tuple[Node, dict[str, tuple[list[str], Node]]]:
    parser = Parser(text)
    return parser.parse(), parser.functions
