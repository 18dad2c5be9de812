"""The HTTP client the Stripe SDK sends through: urllib3's connection pool, with our circuit
breaker in front of every call.

The SDK's default client goes through ``requests``, whose per-call work (reading proxy and
``.netrc`` settings from the environment, merging session settings, cookie jars) cost more
of a checkout's CPU than the connection itself. The SDK lets a client be plugged in
(``http_client=``); this one does only what a call to Stripe needs: a pooled keep-alive
connection per thread, the SDK's CA bundle, the proxy the environment names (read once), no
retries of its own (the SDK retries, with its idempotency keys) and the SDK's error type, so
its retry rules see the same ``should_retry`` as with its own clients.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import stripe
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from storefront.circuit import CircuitBreaker, CircuitOpen
from storefront.http_retry import struggling

#: Failures worth another try: the request may not have reached Stripe, or its answer was lost
#: (the idempotency key makes a repeat safe).
_RETRYABLE = (ConnectTimeoutError, ReadTimeoutError, NewConnectionError, ProtocolError)


def _environment_proxy(api_base: str) -> str | None:
    """The proxy ``HTTPS_PROXY``/``HTTP_PROXY`` name for the API's host, unless ``NO_PROXY``
    exempts it (what ``requests`` would have used, read once instead of on every call)."""
    parts = urlsplit(api_base)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme or "https")


class StripeHttpClient(stripe.HTTPClient):
    name = "urllib3"

    def __init__(
        self,
        api_base: str,
        *,
        timeout: float,
        breaker: CircuitBreaker | None = None,
        pool_size: int = 16,
    ) -> None:
        super().__init__()
        self._breaker = breaker
        proxy = _environment_proxy(api_base)
        options: dict[str, Any] = {
            "maxsize": pool_size,  # one kept connection per worker thread
            "retries": False,
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
            "ca_certs": stripe.ca_bundle_path,
            "cert_reqs": "CERT_REQUIRED",
        }
        self._pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )

    def request_with_retries(
        self, method: str, url: str, headers: Any, post_data: Any = None, *args: Any, **kw: Any
    ) -> tuple[str, int, Any]:
        """The SDK's call with its retries, behind the breaker: an open circuit fails at once
        with nothing sent; a connection failure or a struggling answer counts against it."""
        if self._breaker is None:
            return super().request_with_retries(method, url, headers, post_data, *args, **kw)
        try:
            ticket = self._breaker.admit()
        except CircuitOpen as exc:
            raise stripe.APIConnectionError(str(exc)) from exc  # type: ignore[no-untyped-call]  # the SDK's error constructors are unannotated
        try:
            body, status, response_headers = super().request_with_retries(
                method, url, headers, post_data, *args, **kw
            )
        except stripe.APIConnectionError:
            self._breaker.record(ticket, failed=True)
            raise
        except BaseException:
            self._breaker.release(ticket)
            raise
        self._breaker.record(ticket, failed=struggling(status))
        return body, status, response_headers

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        response = self._send(method, url, headers, post_data, stream=False)
        return response.data.decode("utf-8"), response.status, response.headers

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        response = self._send(method, url, headers, post_data, stream=True)
        return response, response.status, response.headers

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        body: Any,
        *,
        stream: bool,
    ) -> urllib3.BaseHTTPResponse:
        try:
            return self._pool.request(
                method.upper(),
                url,
                headers=dict(headers or {}),
                body=body,
                preload_content=not stream,
                redirect=False,
            )
        except SSLError as exc:
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]
                f"Could not verify Stripe's TLS certificate: {exc}", should_retry=False
            ) from exc
        except _RETRYABLE as exc:
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]
                f"Could not reach Stripe: {exc}", should_retry=True
            ) from exc
        except HTTPError as exc:
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]
                f"Unexpected error talking to Stripe: {exc}", should_retry=False
            ) from exc

    def close(self) -> None:
        self._pool.clear()
