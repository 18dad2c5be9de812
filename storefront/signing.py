"""Signed, expiring tokens for links we e-mail or hand out (one place for the rule).

Each purpose has its own salt, so a token for one purpose never works for another.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = {
    "password-reset": 60 * 60,  # 1 hour
    "verify-email": 7 * 24 * 3600,
    "order-link": 365 * 24 * 3600,  # the guest's way back to an order
    "newsletter-confirm": 7 * 24 * 3600,
    "newsletter-unsubscribe": None,  # works forever (law and decency)
    "review-optout": None,  # a one-click opt-out from review invites works forever
    "restock-confirm": 7 * 24 * 3600,
    "preview": 60 * 60,
    "campaign-preview": 60 * 60,
    "cart": None,
}


class InvalidToken(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: str, secret: str | None = None) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    key = secret or current_app.config["SECRET_KEY"]
    return URLSafeTimedSerializer(key, salt=f"storefront.{purpose}")


def make_token(purpose: str, payload: Any, *, secret: str | None = None) -> str:
    return _serializer(purpose, secret).dumps(payload)


def read_token(
    purpose: str, token: str, *, secret: str | None = None, max_age: int | None = None
) -> Any:
    age = max_age if max_age is not None else PURPOSES[purpose]
    try:
        return _serializer(purpose, secret).loads(token, max_age=age)
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except BadSignature as exc:
        raise InvalidToken("invalid") from exc


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison of a secret sent to us (a URL segment, a header) with ours.

    ``hmac.compare_digest`` refuses ``str`` holding non-ASCII characters (``TypeError``),
    so both sides are compared as UTF-8 bytes; whatever a prober sends is a plain mismatch.
    """
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
