"""Arithmetic: numbers, string and array concatenation, object merge, datetime offsets."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from .values import DateTime, is_number


def _add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **b}
    if isinstance(a, DateTime) and is_number(b):
        return DateTime(a.value + timedelta(seconds=b))
    return None


def _sub(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a - b
    if isinstance(a, DateTime) and isinstance(b, DateTime):
        return (a.value - b.value).total_seconds()
    if isinstance(a, DateTime) and is_number(b):
        return DateTime(a.value - timedelta(seconds=b))
    return None


def _mul(a: Any, b: Any) -> Any:
    return a * b if is_number(a) and is_number(b) else None


def _div(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)) or b == 0:
        return None
    return a / b


def _mod(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)) or b == 0:
        return None
    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else (a - b * int(a / b))


def _pow(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)):
        return None
    try:
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return None
    return None if isinstance(result, complex) else result


ARITH = {"+": _add, "-": _sub, "*": _mul, "/": _div, "%": _mod, "**": _pow}
