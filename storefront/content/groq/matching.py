"""``match``: tokenised, case-insensitive full-text matching with ``*`` wildcards."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"[\w*]+", re.UNICODE)


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


@lru_cache(maxsize=4096)
def _pattern(token: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in token.split("*")) + "$")


def _texts(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return None


def match(left: Any, right: Any) -> bool:
    texts, patterns = _texts(left), _texts(right)
    if texts is None or patterns is None:
        return False
    words = {t for text in texts for t in _tokens(text) if "*" not in t}
    needles = [t for p in patterns for t in _tokens(p)]
    if not needles:
        return False
    for needle in needles:
        if "*" in needle:
            rx = _pattern(needle)
            if not any(rx.match(w) for w in words):
                return False
        elif needle not in words:
            return False
    return True


def match_count(left: Any, right: Any) -> int:
    """For ``score()``: how many terms matched (0 when the match fails)."""
    if not match(left, right):
        return 0
    patterns = _texts(right) or []
    return max(1, sum(len(_tokens(p)) for p in patterns))
