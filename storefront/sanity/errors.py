"""Typed errors of the content layer (Sanity and the local lake look the same from here).

Exception tree::

    ContentError                 anything that went wrong talking to the content API
    ├── QueryParseError          400 queryParseError: .description .start .end .query
    ├── AuthError                401/403: missing or wrong token
    ├── ConflictError            409: ifRevisionID mismatch, or create of an existing id
    ├── MutationError            other mutationError (bad patch, missing document…): .items
    └── ContentUnavailable       retryable: network failure, timeout, 5xx
        └── RateLimited          429 (after the client's own bounded retries)

Every error keeps the HTTP status (when there was a response) and Sanity's trace id, taken
from the ``traceparent`` response header, so an operator can quote it to Sanity support.
"""

from __future__ import annotations

from typing import Any


class ContentError(Exception):
    """Base of every content-API failure."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        trace_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.trace_id = trace_id
        self.body = body


class QueryParseError(ContentError):
    """The GROQ query does not parse; ``start``/``end`` are offsets into ``query``."""

    def __init__(
        self,
        description: str,
        *,
        start: int | None = None,
        end: int | None = None,
        query: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(description, **kwargs)
        self.description = description
        self.start = start
        self.end = end
        self.query = query


class AuthError(ContentError):
    """The token is missing, wrong, or lacks the permission."""


class ConflictError(ContentError):
    """A revision mismatch or an existing id: re-read and decide, never blindly retry."""


class MutationError(ContentError):
    """The mutation was refused as a whole; ``items`` holds Sanity's per-item errors."""

    def __init__(self, message: str, *, items: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.items = items or []


class ContentUnavailable(ContentError):
    """The content API could not answer now (network, timeout, 5xx); safe to retry reads."""

    retryable = True


class RateLimited(ContentUnavailable):
    """HTTP 429 persisted through the client's retries."""
