"""Tokens of a GROQ query, with the character offsets parse errors report."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import GroqParseError


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, str, ident, param, op, eof
    value: object
    start: int
    end: int


_OPS = sorted(
    [
        "...",
        "..",
        "**",
        "==",
        "!=",
        "<=",
        ">=",
        "&&",
        "||",
        "=>",
        "->",
        "::",
        "<",
        ">",
        "=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "!",
        ".",
        ",",
        ":",
        "|",
        "@",
        "^",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ";",
    ],
    key=len,
    reverse=True,
)
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"(?:\s+|//[^\n]*)+")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        m = _SPACE.match(text, i)
        if m:
            i = m.end()
        if i >= n:
            tokens.append(Token("eof", None, n, n))
            return tokens
        ch = text[i]
        if ch.isdigit() or (
            ch == "."
            and i + 1 < n
            and text[i + 1].isdigit()
            and not (tokens and tokens[-1].kind == "op" and tokens[-1].value in (".", ".."))
        ):
            m = _NUMBER.match(text, i)
            assert m
            raw = m.group(0)
            # "1..2" is a range, not the number "1." followed by ".2"
            if raw.endswith(".") and text.startswith("..", m.end() - 1):
                raw = raw[:-1]
            elif "." in raw and text.startswith("..", i + raw.index(".")) and "e" not in raw:
                raw = raw[: raw.index(".")]
            value: object = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("num", value, i, i + len(raw)))
            i += len(raw)
            continue
        if ch in "\"'":
            value, j = _string(text, i)
            tokens.append(Token("str", value, i, j))
            i = j
            continue
        if ch == "$":
            m = _IDENT.match(text, i + 1)
            if not m:
                raise GroqParseError("expected a parameter name after $", i, i + 1, text)
            tokens.append(Token("param", m.group(0), i, m.end()))
            i = m.end()
            continue
        m = _IDENT.match(text, i)
        if m:
            tokens.append(Token("ident", m.group(0), i, m.end()))
            i = m.end()
            continue
        for op in _OPS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, i, i + len(op)))
                i += len(op)
                break
        else:
            raise GroqParseError(f"unexpected character {ch!r}", i, i + 1, text)


_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


def _string(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    out: list[str] = []
    j = i + 1
    n = len(text)
    while j < n:
        ch = text[j]
        if ch == quote:
            return "".join(out), j + 1
        if ch == "\\":
            if j + 1 >= n:
                break
            esc = text[j + 1]
            if esc == "u":
                code, j = _unicode(text, j + 2, i)
                out.append(code)
                continue
            if esc not in _ESCAPES:
                raise GroqParseError(f"invalid escape \\{esc}", j, j + 2, text)
            out.append(_ESCAPES[esc])
            j += 2
            continue
        out.append(ch)
        j += 1
    raise GroqParseError("unterminated string", i, n, text)


def _unicode(text: str, j: int, start: int) -> tuple[str, int]:
    if j < len(text) and text[j] == "{":
        end = text.find("}", j)
        if end == -1:
            raise GroqParseError("bad unicode escape", start, j, text)
        return chr(int(text[j + 1 : end], 16)), end + 1
    hexa = text[j : j + 4]
    if len(hexa) != 4 or any(c not in "0123456789abcdefABCDEF" for c in hexa):
        raise GroqParseError("bad unicode escape", j - 2, j + 4, text)
    code = int(hexa, 16)
    j += 4
    if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", j):
        low = int(text[j + 2 : j + 6], 16)
        if 0xDC00 <= low <= 0xDFFF:
            return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), j + 6
    return chr(code), j
