"""The real Gelato client (orders v4, product v3 stock, shipment v1) over httpx.

Retry rules live here, in one place:

* safe calls (get, search, quote, stock, shipment methods, cancel) retry 429, 5xx and
  network errors with bounded, jittered backoff (``RetryPolicy`` in ``storefront.http_retry``);
* ``create_order`` is never retried: Gelato has no idempotency key, so a blind retry can
  print and charge twice. It raises :class:`GelatoTransientError` when Gelato cannot have
  acted (connect failure, 429), :class:`GelatoAmbiguousError` when it may have (timeout,
  5xx, connection lost after sending) and :class:`GelatoPermanentError` for 4xx. The caller
  searches by ``orderReferenceId`` before trying again (:meth:`GelatoClient.find_by_reference`).
* cancel is retried: cancelling is the end state we want, so repeating it is harmless; a 409
  after a retry is checked with a GET (our first attempt may have cancelled it already).
* every call goes through the Gelato circuit breaker: while it is open nothing is sent and
  :class:`GelatoTransientError` says so at once (for a create: Gelato cannot have acted).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Self

import httpx

from storefront.circuit import CircuitBreaker, CircuitOpen
from storefront.gelato.address import ShippingAddress, to_gelato
from storefront.gelato.errors import (
    GelatoAmbiguousError,
    GelatoAuthError,
    GelatoError,
    GelatoNotFound,
    GelatoPermanentError,
    GelatoTransientError,
    OrderAlreadyInProduction,
)
from storefront.gelato.types import (
    FulfillmentStatus,
    GelatoOrder,
    GelatoOrderRequest,
    GelatoOrderSummary,
    ProductAvailability,
    Quote,
    QuoteProduct,
    RegionAvailability,
    ShipmentMethod,
    StockStatus,
)
from storefront.http_retry import RetryPolicy, send_with_retries, struggling

ORDER_HOST = "https://order.gelatoapis.com"
PRODUCT_HOST = "https://product.gelatoapis.com"
SHIPMENT_HOST = "https://shipment.gelatoapis.com"

#: Gelato's limit for one stock-availability call.
MAX_STOCK_UIDS = 250
#: A shopper waiting on a quote: one quick retry, a short timeout, then the caller's fallback.
INTERACTIVE_TIMEOUT = 3.0
INTERACTIVE_RETRY = RetryPolicy(attempts=2, base_delay=0.1)
#: Gelato's maximum page size for order search.
MAX_SEARCH_LIMIT = 100

# Transport errors raised before any byte of the request left: Gelato cannot have acted.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class GelatoClient:
    """One object per process; pass ``http`` (an ``httpx.Client``) or ``transport`` in tests."""

    def __init__(
        self,
        *,
        api_key: str,
        order_base: str = ORDER_HOST,
        product_base: str = PRODUCT_HOST,
        shipment_base: str = SHIPMENT_HOST,
        timeout: float = 10.0,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._api_key = api_key
        self._breaker = breaker
        self._order_base = order_base.rstrip("/")
        self._product_base = product_base.rstrip("/")
        self._shipment_base = shipment_base.rstrip("/")
        self._timeout = httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=self._timeout, transport=transport)
        self._retry = retry or RetryPolicy()

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        http: httpx.Client | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> Self:
        """Gelato's three hosts in production, else one base (the emulator) for all."""
        base = settings.gelato_base
        hosts = {"order_base": base, "product_base": base, "shipment_base": base} if base else {}
        return cls(
            api_key=settings.gelato_api_key.get_secret_value(), http=http, breaker=breaker, **hosts
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- orders --------------------------------------------------------------------------

    def create_order(self, request: GelatoOrderRequest) -> GelatoOrder:
        """One attempt, never retried (see the module docstring for the three outcomes)."""
        url = f"{self._order_base}/v4/orders"
        ticket = None
        if self._breaker is not None:
            try:
                ticket = self._breaker.admit()
            except CircuitOpen as exc:
                raise GelatoTransientError(str(exc)) from exc
        try:
            response = self._send("POST", url, json=request.to_json())
        except _NOT_SENT as exc:
            self._record(ticket, failed=True)
            raise GelatoTransientError(f"Could not reach Gelato: {exc}") from exc
        except httpx.HTTPError as exc:
            self._record(ticket, failed=True)
            raise GelatoAmbiguousError(
                f"Gelato may have created order {request.order_reference_id}: {exc!r}"
            ) from exc
        self._record(ticket, failed=struggling(response.status_code))
        if response.status_code == 429:
            raise _error(GelatoTransientError, response, "Gelato rate limit")
        if response.status_code >= 500:
            raise _error(GelatoAmbiguousError, response, "Gelato failed while creating the order")
        if response.status_code >= 400:
            raise _permanent(response)
        try:
            return GelatoOrder.from_json(response.json())
        except (ValueError, KeyError, TypeError) as exc:
            raise GelatoAmbiguousError(
                "Gelato answered 2xx with a body we cannot read", status_code=response.status_code
            ) from exc

    def get_order(self, order_id: str) -> GelatoOrder:
        data = self._call("GET", f"{self._order_base}/v4/orders/{order_id}")
        return GelatoOrder.from_json(data)

    def iter_orders(
        self,
        *,
        order_reference_ids: Sequence[str] = (),
        ids: Sequence[str] = (),
        fulfillment_statuses: Sequence[str] = (),
        order_types: Sequence[str] = (),
        page_size: int = MAX_SEARCH_LIMIT,
    ) -> Iterator[GelatoOrderSummary]:
        """Every order matching the filters, following ``limit``/``offset`` pages."""
        if not 1 <= page_size <= MAX_SEARCH_LIMIT:
            raise ValueError(f"page_size must be 1..{MAX_SEARCH_LIMIT}")
        body: dict[str, Any] = {}
        for key, values in (
            ("orderReferenceIds", order_reference_ids),
            ("ids", ids),
            ("fulfillmentStatuses", fulfillment_statuses),
            ("orderTypes", order_types),
        ):
            if values:
                body[key] = list(values)
        offset = 0
        while True:
            page = self._call(
                "POST",
                f"{self._order_base}/v4/orders:search",
                json={**body, "limit": page_size, "offset": offset},
            )
            rows = page.get("orders") or []
            for row in rows:
                yield GelatoOrderSummary.from_json(row)
            if len(rows) < page_size:
                return
            offset += len(rows)

    def search_orders(
        self, *, order_reference_ids: Sequence[str] = (), **filters: Any
    ) -> list[GelatoOrderSummary]:
        return list(self.iter_orders(order_reference_ids=order_reference_ids, **filters))

    def find_by_reference(self, order_reference_id: str) -> list[GelatoOrderSummary]:
        """All Gelato orders (split parts included) carrying our order number."""
        return self.search_orders(order_reference_ids=[order_reference_id])

    def cancel_order(self, order_id: str) -> None:
        """Cancel before production; :class:`OrderAlreadyInProduction` once printed."""
        url = f"{self._order_base}/v4/orders/{order_id}:cancel"
        try:
            self._call("POST", url, json={})
        except OrderAlreadyInProduction:
            # A retried cancel can meet its own earlier success: only a GET tells.
            if self.get_order(order_id).fulfillment_status is FulfillmentStatus.CANCELED:
                return
            raise

    def confirm_draft(self, order_id: str) -> GelatoOrder:
        """Turn a draft into a real (produced, charged) order: ``PATCH orderType=order``."""
        url = f"{self._order_base}/v4/orders/{order_id}"
        try:
            return GelatoOrder.from_json(self._call("PATCH", url, json={"orderType": "order"}))
        except GelatoPermanentError as exc:
            # A retried PATCH can meet its own earlier success: only a GET tells.
            if exc.status_code == 400:
                order = self.get_order(order_id)
                if order.order_type == "order":
                    return order
            raise

    def delete_draft(self, order_id: str) -> None:
        """Drafts only; deleting one that is already gone counts as done."""
        try:
            self._call("DELETE", f"{self._order_base}/v4/orders/{order_id}")
        except GelatoNotFound:
            return

    def quote(
        self,
        recipient: ShippingAddress,
        products: Sequence[QuoteProduct],
        currency: str,
        *,
        order_reference_id: str = "quote",
        customer_reference_id: str = "quote",
        interactive: bool = False,
    ) -> list[Quote]:
        """Shipping options and prices (minor units); one quote per production hub.

        ``interactive``: a shopper is waiting (checkout), so one quick retry and a short
        timeout; the caller has a fallback.
        """
        body = {
            "orderReferenceId": order_reference_id,
            "customerReferenceId": customer_reference_id,
            "currency": currency.upper(),
            "allowMultipleQuotes": True,
            "recipient": to_gelato(recipient),
            "products": [
                {
                    "itemReferenceId": p.item_reference_id,
                    "productUid": p.product_uid,
                    "quantity": p.quantity,
                }
                for p in products
            ],
        }
        data = self._call(
            "POST",
            f"{self._order_base}/v4/orders:quote",
            json=body,
            timeout=INTERACTIVE_TIMEOUT if interactive else None,
            retry=INTERACTIVE_RETRY if interactive else None,
        )
        return [Quote.from_json(q) for q in data.get("quotes") or []]

    # --- catalog and shipping ------------------------------------------------------------

    def stock_availability(self, product_uids: Sequence[str]) -> dict[str, ProductAvailability]:
        """Per-region stock for at most 250 uids (use :meth:`stock_availability_batched`)."""
        uids = list(dict.fromkeys(product_uids))
        if not uids:
            return {}
        if len(uids) > MAX_STOCK_UIDS:
            raise ValueError(
                f"Gelato accepts at most {MAX_STOCK_UIDS} productUids per call, got {len(uids)}"
            )
        data = self._call(
            "POST", f"{self._product_base}/v3/stock/region-availability", json={"products": uids}
        )
        result: dict[str, ProductAvailability] = {}
        for row in data.get("productsAvailability") or []:
            uid = str(row.get("productUid") or "")
            regions = {}
            for entry in row.get("availability") or []:
                raw = str(entry.get("status") or "")
                region = str(entry.get("stockRegionUid") or "")
                regions[region] = RegionAvailability(
                    region=region,
                    status=StockStatus.parse(raw),
                    raw_status=raw,
                    replenishment_date=entry.get("replenishmentDate"),
                )
            result[uid] = ProductAvailability(product_uid=uid, regions=regions)
        return result

    def stock_availability_batched(
        self, product_uids: Iterable[str], *, batch_size: int = MAX_STOCK_UIDS
    ) -> dict[str, ProductAvailability]:
        """Any number of uids, in calls of at most ``batch_size`` (≤ 250)."""
        if not 1 <= batch_size <= MAX_STOCK_UIDS:
            raise ValueError(f"batch_size must be 1..{MAX_STOCK_UIDS}")
        uids = list(dict.fromkeys(product_uids))
        result: dict[str, ProductAvailability] = {}
        for start in range(0, len(uids), batch_size):
            result.update(self.stock_availability(uids[start : start + batch_size]))
        return result

    def shipment_methods(self, country: str | None = None) -> list[ShipmentMethod]:
        params = {"country": country.upper()} if country else None
        data = self._call("GET", f"{self._shipment_base}/v1/shipment-methods", params=params)
        return [
            ShipmentMethod(
                shipment_method_uid=str(m.get("shipmentMethodUid") or ""),
                name=str(m.get("name") or ""),
                type=str(m.get("type") or "normal"),
                has_tracking=bool(m.get("hasTracking")),
                supported_countries=tuple(m.get("supportedCountries") or ()),
            )
            for m in data.get("shipmentMethods") or []
        ]

    # --- transport -----------------------------------------------------------------------

    def _record(self, ticket: Any, *, failed: bool) -> None:
        if self._breaker is not None and ticket is not None:
            self._breaker.record(ticket, failed=failed)

    def _send(
        self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self._http.request(
            method,
            url,
            headers={"X-API-KEY": self._api_key, "Accept": "application/json"},
            timeout=self._timeout if timeout is None else httpx.Timeout(timeout),
            **kwargs,
        )

    def _call(
        self,
        method: str,
        url: str,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A safe call with bounded retries; returns the decoded JSON object."""
        response = send_with_retries(
            lambda: self._send(method, url, timeout=timeout, **kwargs),
            retry or self._retry,
            unreachable=lambda exc: GelatoTransientError(f"Gelato unreachable: {exc!r}"),
            broken=lambda exc: GelatoError(f"HTTP error talking to Gelato: {exc!r}"),
            exhausted=lambda resp: _error(GelatoTransientError, resp, "Gelato kept failing"),
            breaker=self._breaker,
            unavailable=lambda exc: GelatoTransientError(str(exc)),
        )
        status = response.status_code
        if status >= 400:
            raise _permanent(response)
        try:
            data = response.json() if response.content else {}
        except ValueError as exc:
            raise GelatoTransientError(
                "Gelato sent a body that is not JSON", status_code=status
            ) from exc
        return data if isinstance(data, dict) else {"data": data}


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _error(cls: type[GelatoError], response: httpx.Response, fallback: str) -> GelatoError:
    body = _body(response)
    message = body.get("message") if isinstance(body, dict) else None
    request_id = response.headers.get("x-request-id") or (
        body.get("requestId") if isinstance(body, dict) else None
    )
    return cls(
        str(message or fallback),
        status_code=response.status_code,
        body=body,
        request_id=request_id,
    )


def _permanent(response: httpx.Response) -> GelatoError:
    status = response.status_code
    cls: type[GelatoError] = GelatoPermanentError
    if status == 401:
        cls = GelatoAuthError
    elif status == 404:
        cls = GelatoNotFound
    elif status == 409:
        cls = OrderAlreadyInProduction
    return _error(cls, response, f"Gelato refused the request ({status})")
