"""Sanity webhook signatures: the one place that signs and checks them.

Header ``sanity-webhook-signature: t=<unix ms>,v1=<base64url(HMAC-SHA256(secret, "<t>." + raw
body)) without padding>``. Sanity's toolkit accepts a comma and/or spaces between the parts and
rejects timestamps before 2021; it enforces no freshness window, so we add our own (replays
outside ``tolerance_s`` are refused) and compare in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

HEADER = "sanity-webhook-signature"
MIN_TIMESTAMP_MS = 1_609_459_200_000  # 2021-01-01T00:00:00Z, as @sanity/webhook
_HEADER_RE = re.compile(r"^t=(\d+)[, ]+v1=([^, ]+)$")


class SignatureError(Exception):
    """The webhook signature is not acceptable; ``reason`` says why."""

    reason = "invalid"


class SignatureFormatError(SignatureError):
    """The header is missing or not ``t=…,v1=…`` (answer 400)."""

    reason = "format"


class SignatureMismatchError(SignatureError):
    """The HMAC does not match the body (answer 401)."""

    reason = "signature"


class SignatureTimestampError(SignatureError):
    """The timestamp is before 2021 or outside our freshness window (answer 401)."""

    reason = "timestamp"


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def compute(body: bytes, secret: str | bytes, timestamp_ms: int) -> str:
    """The ``v1`` value: base64url HMAC-SHA256 over ``"<t>." + body``, padding stripped."""
    mac = hmac.new(_secret_bytes(secret), f"{timestamp_ms}.".encode() + body, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def sign(body: bytes, secret: str | bytes, timestamp_ms: int) -> str:
    """The full header value for ``body`` signed at ``timestamp_ms``."""
    return f"t={timestamp_ms},v1={compute(body, secret, timestamp_ms)}"


def parse_header(header: str | None) -> tuple[int, str]:
    """``(timestamp_ms, v1)`` or :class:`SignatureFormatError`."""
    match = _HEADER_RE.match((header or "").strip())
    if not match:
        raise SignatureFormatError("signature header is not of the form t=<ms>,v1=<signature>")
    return int(match.group(1)), match.group(2)


def verify(
    body: bytes,
    header: str | None,
    secret: str | bytes,
    *,
    now_ms: int,
    tolerance_s: float = 300,
) -> None:
    """Return quietly when ``header`` signs ``body`` (raw bytes) recently enough, else raise."""
    timestamp_ms, given = parse_header(header)
    if timestamp_ms < MIN_TIMESTAMP_MS:
        raise SignatureTimestampError("signature timestamp is before 2021")
    if abs(now_ms - timestamp_ms) > tolerance_s * 1000:
        raise SignatureTimestampError("signature timestamp is outside the accepted window")
    expected = compute(body, secret, timestamp_ms)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace")):
        raise SignatureMismatchError("signature does not match the body")
