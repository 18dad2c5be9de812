"""Arithmetic with JavaScript number semantics (the reference engine's): numbers, string and
array concatenation, object merge, datetime offsets. Non-finite results become null."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from .values import DateTime, is_number

_EXACT = 2**53


def _num(value: float | int) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value if -_EXACT <= value <= _EXACT else float(value)


def _add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return _num(a + b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **b}
    if isinstance(a, DateTime) and is_number(b):
        return DateTime(a.value + timedelta(seconds=b))
    if is_number(a) and isinstance(b, DateTime):
        return DateTime(b.value + timedelta(seconds=a))
    return None


def _sub(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return _num(a - b)
    if isinstance(a, DateTime) and isinstance(b, DateTime):
        return (a.value - b.value).total_seconds()
    if isinstance(a, DateTime) and is_number(b):
        return DateTime(a.value - timedelta(seconds=b))
    return None


def _mul(a: Any, b: Any) -> Any:
    return _num(a * b) if is_number(a) and is_number(b) else None


def _div(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)) or b == 0:
        return None
    return _num(a / b)


def _mod(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)) or b == 0:
        return None
    result = math.fmod(float(a), float(b))
    return int(result) if isinstance(a, int) and isinstance(b, int) else result


def _pow(a: Any, b: Any) -> Any:
    if not (is_number(a) and is_number(b)):
        return None
    if isinstance(a, int) and isinstance(b, int) and b >= 0 and abs(a) <= _EXACT and b < 1100:
        result = a**b
        if abs(result) <= _EXACT:
            return result
        return None if result.bit_length() > 1023 else _num(float(result))
    fa, fb = float(a), float(b)
    if abs(fa) == 1.0 and math.isinf(fb):
        return None  # NaN in JavaScript
    try:
        result_f = math.pow(fa, fb)
    except OverflowError:
        return None
    except ValueError:  # a negative base with a fractional exponent
        return None
    return _num(result_f)


ARITH = {"+": _add, "-": _sub, "*": _mul, "/": _div, "%": _mod, "**": _pow}
