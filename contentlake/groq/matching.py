"""``match`` and its score: text is split into tokens, a pattern into terms (``*`` is a
wildcard); every term must match some token, case-insensitively. Dots next to a word are
dropped first, so ``ding.dong`` is the single token ``dingdong``, as in Sanity's engine."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_SEPARATORS = r"!@#$%^&()\,\\/?\";:{}|\[\]+<>\s\-"
_TOKEN = re.compile(rf"[^{_SEPARATORS}*]+")
_TERM = re.compile(rf"[^{_SEPARATORS}]+")
_EDGE_DOTS = re.compile(r"(\b\.+|\.+\b)", re.ASCII)
_MAX_TERM = 1024
_BM25_K = 1.2


@lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(_EDGE_DOTS.sub("", text)))


@lru_cache(maxsize=1024)
def terms(pattern: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for term in _TERM.findall(_EDGE_DOTS.sub("", pattern)):
        # like the reference engine, a term is a regular expression with `*` widened to `.*`
        source = term[:_MAX_TERM].replace("*", ".*")
        try:
            out.append(re.compile(f"^{source}$", re.IGNORECASE | re.DOTALL))
        except re.error:
            out.append(re.compile(f"^{re.escape(term[:_MAX_TERM])}$", re.IGNORECASE))
    return tuple(out)


def _gather(value: Any, split: Any) -> tuple[list[Any], bool]:
    if isinstance(value, str):
        return list(split(value)), True
    if isinstance(value, list):
        parts: list[Any] = []
        ok = True
        for item in value:
            if isinstance(item, str):
                parts.extend(split(item))
            else:
                ok = False
        return parts, ok
    return [], False


def match(text: Any, pattern: Any) -> bool:
    tokens, _ = _gather(text, tokenize)
    patterns, ok = _gather(pattern, terms)
    if not ok or not tokens or not patterns:
        return False
    return all(any(rx.match(token) for token in tokens) for rx in patterns)


def match_score(text: Any, pattern: Any) -> float:
    """BM25-style term-frequency score of ``text match pattern`` inside ``score()``."""
    tokens, _ = _gather(text, tokenize)
    patterns, ok = _gather(pattern, terms)
    if not ok or not tokens or not patterns:
        return 0.0
    score = 0.0
    for rx in patterns:
        freq = sum(1 for token in tokens if rx.match(token))
        score += freq * (_BM25_K + 1) / (freq + _BM25_K)
    return score
