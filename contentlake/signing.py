"""Signing the lake's webhooks the way Sanity signs its GROQ-powered webhooks.

``sanity-webhook-signature: t=<unix milliseconds>,v1=<signature>`` where the signature is
HMAC-SHA256 with the webhook's secret over the bytes ``"<t>." + body``, base64url-encoded
with the ``=`` padding removed (as ``@sanity/webhook`` produces it).

The lake signs with this module only: it is written apart from the shop's verifier so that
a mistake in one is caught by the other (the tests also check Sanity's published vector).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

HEADER_NAME = "sanity-webhook-signature"


def signature_header(body: bytes, secret: str, timestamp_ms: int) -> str:
    payload = str(timestamp_ms).encode("ascii") + b"." + body
    digest = hmac.digest(secret.encode("utf-8"), payload, hashlib.sha256)
    encoded = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return "t=" + str(timestamp_ms) + ",v1=" + encoded
