"""``Authorization: Bearer <token>`` → the current user, for ``/api/`` requests and for the
read-only machine endpoints in :data:`READ_ONLY_PATHS` (``GET /metrics``: a Prometheus
scraper has a token, not a session cookie).

A bad token is a 401, never a quiet fall-back to the session cookie or to anonymous: a
script with a revoked token must learn so at once, and because ``security.py`` skips CSRF
for ``/api/`` requests that carry a bearer header, such a request must never be served on
the strength of the cookie that came with it.
"""

from __future__ import annotations

from flask import request

from storefront.accounts import tokens
from storefront.container import services
from storefront.errors import Unauthorized
from storefront.web.auth import CurrentUser, current_user

API_PREFIX = "/api/"
#: Paths outside ``/api/`` that take a token for safe methods only. Never an unsafe method:
#: ``security.py`` exempts bearer requests from CSRF under ``/api/`` alone.
READ_ONLY_PATHS = frozenset({"/metrics"})
SAFE_METHODS = frozenset({"GET", "HEAD"})


def takes_token() -> bool:
    """Whether this request may authenticate with a bearer token at all."""
    if request.path.startswith(API_PREFIX):
        return True
    return request.path in READ_ONLY_PATHS and request.method in SAFE_METHODS


def bearer_token() -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, where tokens are taken.

    The scheme is compared exactly as ``security.py`` does (``Bearer``), so an ``/api/``
    request is either token-authenticated *and* CSRF-exempt, or neither.
    """
    if not takes_token():
        return None
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :].strip()


def bearer_user() -> CurrentUser | None:
    """User resolver (``WebState.user_resolvers``): must run before the session one."""
    plaintext = bearer_token()
    if plaintext is None:
        return None
    db = services().db
    with db.session_scope() as session:
        verified = tokens.verify_token(session, plaintext)
    if verified is None:
        raise Unauthorized(
            "The API token is unknown or revoked.",
            code="invalid_token",
        )
    if verified.due_for_touch():  # skip the write lock on most requests
        with db.session_scope(write=True) as session:
            tokens.touch(session, verified.token_id)
    return CurrentUser(
        id=verified.customer_id, email=verified.email, role=verified.role, via="token"
    )


def refuse_bad_bearer() -> None:
    """Blueprint hook: check a presented token even on public operations (401 if bad)."""
    if bearer_token() is not None:
        current_user()
