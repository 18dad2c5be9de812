"""Errors raised by the Gelato client; httpx errors never escape it.

Exception tree::

    GelatoError (message, status_code, body, request_id)
    ├── GelatoTransientError      retry later: nothing was created (429, connect error,
    │                             5xx/timeout on a safe call once retries are spent)
    ├── GelatoAmbiguousError      create_order only: the request may have been processed
    │                             (timeout/5xx/connection lost after sending) → search by
    │                             orderReferenceId before any new attempt
    └── GelatoPermanentError      4xx: retrying the same request cannot help
        ├── GelatoAuthError           401 bad API key
        ├── GelatoNotFound            404
        └── OrderAlreadyInProduction  409 on cancel: printed or shipped already
"""

from __future__ import annotations

from typing import Any


class GelatoError(Exception):
    """Base of every Gelato failure; keeps Gelato's status, body and request id."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.request_id = request_id

    def __str__(self) -> str:
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.message}{status}"


class GelatoTransientError(GelatoError):
    """Retryable, and Gelato did not act on the request."""


class GelatoAmbiguousError(GelatoError):
    """The order may or may not exist at Gelato: look it up by reference before retrying."""


class GelatoPermanentError(GelatoError):
    """Gelato refused the request itself (validation, unknown product, bad address...)."""


class GelatoAuthError(GelatoPermanentError):
    """The API key was refused."""


class GelatoNotFound(GelatoPermanentError):
    """The order (or other resource) does not exist."""


class OrderAlreadyInProduction(GelatoPermanentError):
    """Cancel came too late: an item is printed or shipped already."""
