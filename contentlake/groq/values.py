"""GROQ's value model: types, equality, partial order and the total order of ``order()``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard


@dataclass(frozen=True, slots=True)
class DateTime:
    value: datetime

    def iso(self) -> str:
        v = self.value.astimezone(UTC)
        text = v.strftime("%Y-%m-%dT%H:%M:%S")
        if v.microsecond:
            text += f".{v.microsecond // 1000:03d}"
        return text + "Z"


@dataclass(frozen=True, slots=True)
class Range:
    left: Any
    right: Any
    exclusive: bool


@dataclass(frozen=True, slots=True)
class Pair:
    first: Any
    second: Any


@dataclass(frozen=True, slots=True)
class Path:
    pattern: str

    def matches(self, text: str) -> bool:
        return _path_regex(self.pattern).match(text) is not None


_PATH_CACHE: dict[str, re.Pattern[str]] = {}


def _path_regex(pattern: str) -> re.Pattern[str]:
    rx = _PATH_CACHE.get(pattern)
    if rx is None:
        parts = []
        for seg in pattern.split("."):
            if seg == "**":
                parts.append(r"[^.]*(?:\.[^.]*)*")
            elif seg == "*":
                parts.append(r"[^.]+")
            else:
                parts.append(re.escape(seg).replace(r"\*", "[^.]*"))
        rx = _PATH_CACHE[pattern] = re.compile(r"\A" + r"\.".join(parts) + r"\Z")
    return rx


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_datetime(text: Any) -> DateTime | None:
    if not isinstance(text, str):
        return None
    m = _RFC3339.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        micro = int((frac or ".0")[1:7].ljust(6, "0"))
        if tz in ("Z", "z"):
            zone = UTC
        else:
            from datetime import timedelta, timezone

            sign = 1 if tz[0] == "+" else -1
            zone = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
        return DateTime(
            datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=zone)
        )
    except ValueError:
        return None


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, DateTime):
        return "datetime"
    if isinstance(v, Range):
        return "range"
    if isinstance(v, Pair):
        return "pair"
    if isinstance(v, Path):
        return "path"
    return "null"


def is_number(v: Any) -> TypeGuard[int | float]:
    return isinstance(v, int | float) and not isinstance(v, bool)


def equal(a: Any, b: Any) -> bool:
    """GROQ ``==``: only null, booleans, numbers, strings and datetimes can be equal."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, DateTime) and isinstance(b, DateTime):
        return a.value == b.value
    return False


def partial_compare(a: Any, b: Any) -> int | None:
    """-1/0/1 for comparable values (same type: number, string, datetime), else None."""
    if is_number(a) and is_number(b):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    if isinstance(a, DateTime) and isinstance(b, DateTime):
        return (a.value > b.value) - (a.value < b.value)
    if isinstance(a, bool) and isinstance(b, bool):
        return (a > b) - (a < b)
    return None


_TYPE_ORDER = {"datetime": 0, "number": 1, "string": 2, "boolean": 3}


def total_compare(a: Any, b: Any) -> int:
    """The order ``order()`` sorts by: datetime < number < string < boolean < everything else."""
    ta, tb = _TYPE_ORDER.get(type_name(a), 4), _TYPE_ORDER.get(type_name(b), 4)
    if ta != tb:
        return -1 if ta < tb else 1
    if ta == 4:
        return 0
    result = partial_compare(a, b)
    return result or 0


def deep_equal(a: Any, b: Any) -> bool:
    """Structural equality of JSON values (``diff::`` functions), numbers compared by value."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return type_name(a) == type_name(b) and a == b


def sort_key(v: Any) -> tuple[int, Any]:
    """A key Python can compare natively that sorts like :func:`total_compare`."""
    if isinstance(v, bool):
        return (3, v)
    if isinstance(v, int | float):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    if isinstance(v, DateTime):
        return (0, v.value)
    return (4, 0)


def truthy(v: Any) -> bool:
    return v is True


def to_json(v: Any) -> Any:
    """Plain JSON for the caller: datetimes as strings, ranges/pairs/paths as null."""
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, DateTime):
        return v.iso()
    if isinstance(v, Path):
        return v.pattern
    if isinstance(v, Range | Pair):
        return None
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        if v.is_integer() and abs(v) < 2**53:
            return int(v)
    return v
