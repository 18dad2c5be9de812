"""A small httpx client for PayPal REST (OAuth2, Orders v2, Payments v2).

Not ``paypalrestsdk`` (deprecated, v1 Payments). Rules kept here, once:

* the OAuth token is cached until shortly before ``expires_in`` (thread-safe; one token call
  serves every request), and dropped and fetched again once if PayPal answers 401;
* every call has a timeout; GETs and POSTs that carry a ``PayPal-Request-Id`` are retried a
  bounded number of times with jittered backoff on 5xx/429 and network errors — a retried
  create/capture/refund is safe because PayPal answers a known request id with the original
  (the shared rule and circuit breaker of :mod:`storefront.http_retry`);
* errors become :class:`PayPalError` subclasses of our gateway errors, keeping ``debug_id``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from storefront.circuit import CircuitBreaker
from storefront.gateways.port import (
    PaymentDeclined,
    PaymentError,
    ProviderRejected,
    ProviderUnavailable,
)
from storefront.http_retry import NO_RETRY, RetryPolicy, send_with_retries, struggling

DEFAULT_BASE_URL = "https://api-m.paypal.com"
#: Issues that mean "the payer's instrument said no" rather than "our request was wrong".
DECLINE_ISSUES = frozenset(
    {"INSTRUMENT_DECLINED", "PAYER_CANNOT_PAY", "TRANSACTION_REFUSED", "PAYER_ACTION_REQUIRED"}
)


class PayPalError(PaymentError):
    """Mixin data of a PayPal error answer: ``name`` and the first ``details[].issue``."""

    name: str | None = None
    issue: str | None = None


class PayPalRejected(PayPalError, ProviderRejected):
    pass


class PayPalDeclined(PayPalError, PaymentDeclined):
    pass


class PayPalUnavailable(PayPalError, ProviderUnavailable):
    pass


def _error_from(response: httpx.Response) -> PayPalError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    details = body.get("details") or []
    issue = details[0].get("issue") if details and isinstance(details[0], dict) else None
    name = body.get("name") or body.get("error")
    debug_id = body.get("debug_id") or response.headers.get("Paypal-Debug-Id")
    message = (
        (details[0].get("description") if details and isinstance(details[0], dict) else None)
        or body.get("message")
        or body.get("error_description")
        or f"PayPal answered {response.status_code}"
    )
    cls: type[PayPalError]
    if struggling(response.status_code):
        cls = PayPalUnavailable
    elif issue in DECLINE_ISSUES:
        cls = PayPalDeclined
    else:
        cls = PayPalRejected
    error = cls(
        f"{name or response.status_code}: {message}",
        provider="paypal",
        request_id=debug_id,
        code=issue or name,
        http_status=response.status_code,
    )
    error.name, error.issue = name, issue
    return error


class PayPalClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
        max_retries: int = 2,
        backoff: float = 0.25,
        token_margin: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = (client_id, client_secret)
        self._http = http or httpx.Client(transport=transport, timeout=timeout)
        self._timeout = timeout
        self._retry = RetryPolicy(attempts=max_retries + 1, base_delay=backoff, sleep=sleep)
        self._breaker = breaker
        self._token_margin = token_margin
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    # --- OAuth -----------------------------------------------------------------------------
    def access_token(self) -> str:
        """The cached token, fetched when missing or within ``token_margin`` of expiry."""
        with self._token_lock:
            now = self._clock()
            if self._token is not None and now < self._token[1]:
                return self._token[0]
            response = self._send(
                "POST",
                "/v1/oauth2/token",
                retry=True,
                auth=self._auth,
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
            )
            body = response.json()
            lifetime = float(body.get("expires_in", 0))
            margin = min(self._token_margin, lifetime / 10)
            self._token = (body["access_token"], now + lifetime - margin)
            return self._token[0]

    def _forget_token(self, token: str) -> None:
        with self._token_lock:
            if self._token is not None and self._token[0] == token:
                self._token = None

    # --- calls -----------------------------------------------------------------------------
    def create_order(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return self._api("POST", "/v2/checkout/orders", json=body, request_id=request_id)

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._api("GET", f"/v2/checkout/orders/{order_id}")

    def capture_order(self, order_id: str, request_id: str) -> dict[str, Any]:
        """Capture; an order captured before (by us, any request id) counts as success and the
        order is read back, so redirect handler and webhook may both try."""
        try:
            return self._api(
                "POST", f"/v2/checkout/orders/{order_id}/capture", json={}, request_id=request_id
            )
        except PayPalRejected as exc:
            if exc.issue != "ORDER_ALREADY_CAPTURED":
                raise
        return self.get_order(order_id)

    def get_capture(self, capture_id: str) -> dict[str, Any]:
        return self._api("GET", f"/v2/payments/captures/{capture_id}")

    def refund_capture(
        self, capture_id: str, body: dict[str, Any], request_id: str
    ) -> dict[str, Any]:
        return self._api(
            "POST", f"/v2/payments/captures/{capture_id}/refund", json=body, request_id=request_id
        )

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        return self._api("GET", f"/v2/payments/refunds/{refund_id}")

    def get_bytes(self, url: str) -> bytes:
        """Download a document by absolute URL (webhook certs), with timeout and retries."""
        return self._send("GET", url, retry=True).content

    def _api(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Prefer": "return=representation", "Accept": "application/json"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        retry = method == "GET" or request_id is not None
        for renewed in (False, True):
            token = self.access_token()
            try:
                response = self._send(
                    method,
                    path,
                    retry=retry,
                    json=json,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                )
            except PayPalRejected as exc:
                if exc.http_status == 401 and not renewed:
                    self._forget_token(token)
                    continue
                raise
            return response.json() if response.content else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, *, retry: bool, **kwargs: Any) -> httpx.Response:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path

        def unreachable(exc: httpx.TransportError) -> PayPalError:
            return PayPalUnavailable(
                f"PayPal did not answer: {type(exc).__name__}", provider="paypal"
            )

        response = send_with_retries(
            lambda: self._http.request(method, url, timeout=self._timeout, **kwargs),
            self._retry if retry else NO_RETRY,
            unreachable=unreachable,
            broken=lambda exc: PayPalUnavailable(
                f"PayPal request failed: {exc!r}", provider="paypal"
            ),
            exhausted=_error_from,
            breaker=self._breaker,
            unavailable=lambda exc: PayPalUnavailable(str(exc), provider="paypal"),
        )
        if response.is_success:
            return response
        raise _error_from(response)
