"""A stateful PayPal REST emulator: OAuth tokens, Orders v2, captures, refunds, webhooks.

Behaves like PayPal where the shop depends on it: breakdown arithmetic checked, approval
required before capture, a second capture refused with ``ORDER_ALREADY_CAPTURED``, the same
``PayPal-Request-Id`` answered with the stored response, captures that can stay ``PENDING``,
and webhooks signed with PayPal's self-verification scheme. Routes are in :mod:`.routes`.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from emulators.common import (
    FaultInjector,
    WebhookQueue,
    WebhookSender,
    httpx_sender,
    new_id,
)
from emulators.paypal import resources
from emulators.paypal.orders import (
    PayPalApiError,
    issue,
    money,
    parse_money,
    validate_order_request,
)
from emulators.paypal.signing import WebhookSigner

CaptureOutcome = Literal["COMPLETED", "PENDING", "DECLINED"]


class PayPalEmulator:
    """Emulated PayPal merchant account. Callable as a WSGI app (also :attr:`wsgi_app`)."""

    def __init__(
        self,
        *,
        client_id: str = "local-client",
        client_secret: str = "local-secret",  # noqa: S107 - the dev default
        webhook_url: str | None = None,
        webhook_id: str = "WH-LOCAL",
        public_base_url: str | None = None,
        token_lifetime: int = 32400,
        capture_outcome: CaptureOutcome = "COMPLETED",
        sender: WebhookSender | None = None,
        hold_webhooks: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.webhook_url, self.webhook_id = webhook_url, webhook_id
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.token_lifetime = token_lifetime
        self.capture_outcome: CaptureOutcome = capture_outcome
        self.clock = clock
        self.signer = WebhookSigner()
        self.faults = FaultInjector(sleep=sleep)
        self.webhooks = WebhookQueue(
            sender=sender or httpx_sender(), clock=clock, hold_all=hold_webhooks
        )
        self._lock = threading.RLock()
        self._outgoing: list[dict[str, Any]] = []
        self.reset()
        from emulators.paypal.routes import build_app

        self.wsgi_app = build_app(self)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.wsgi_app(environ, start_response)

    def reset(self) -> None:
        with self._lock:
            self.tokens: dict[str, float] = {}
            self.token_requests = 0
            self.orders: dict[str, dict[str, Any]] = {}
            self.captures: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            self.events: list[dict[str, Any]] = []
            self._capture_order: dict[str, str] = {}
            self._requests: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
            self._in_flight: set[tuple[str, str]] = set()

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def base(self, request_base: str | None = None) -> str:
        return self.public_base_url or request_base or "http://127.0.0.1"

    # --- OAuth -------------------------------------------------------------------------------
    def issue_token(self, client_id: str, secret: str, grant_type: str | None) -> dict[str, Any]:
        if grant_type != "client_credentials":
            raise PayPalApiError(400, "unsupported_grant_type")
        if (client_id, secret) != (self.client_id, self.client_secret):
            raise PayPalApiError(401, "invalid_client")
        token = "A21AA" + new_id("", 60)
        with self._lock:
            self.token_requests += 1
            self.tokens[token] = self.clock() + self.token_lifetime
        return {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": self.token_lifetime,
            "nonce": f"{self._now_iso()}{new_id('', 12)}",
        }

    def check_token(self, authorization: str) -> None:
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            expires = self.tokens.get(token)
        if expires is None or expires <= self.clock():
            raise PayPalApiError(401)

    # --- idempotency -----------------------------------------------------------------------
    def once(
        self, scope: str, request_id: str | None, handler: Callable[[], tuple[int, dict[str, Any]]]
    ) -> tuple[int, dict[str, Any]]:
        """Same ``PayPal-Request-Id`` on the same call → the stored response, not a redo.

        The handler runs outside the state lock (its webhooks may call back in); a second
        call while the first is still running is refused, as PayPal may do.
        """
        if not request_id:
            return handler()
        slot = (scope, request_id)
        with self._lock:
            stored = self._requests.get(slot)
            if stored is not None:
                return stored[0], copy.deepcopy(stored[1])
            if slot in self._in_flight:
                raise issue("DUPLICATE_REQUEST_ID")
            self._in_flight.add(slot)
        try:
            stored = handler()
        finally:
            with self._lock:
                self._in_flight.discard(slot)
        with self._lock:
            self._requests[slot] = stored
        return stored[0], copy.deepcopy(stored[1])

    # --- orders ------------------------------------------------------------------------------
    def create_order(self, body: Any, *, base: str) -> dict[str, Any]:
        validate_order_request(body)
        order_id = resources.paypal_id()
        now = self._now_iso()
        source = (body.get("payment_source") or {}).get("paypal")
        context = (source or {}).get("experience_context") or body.get("application_context") or {}
        units = []
        for unit in body["purchase_units"]:
            unit = copy.deepcopy(unit)
            unit.setdefault("reference_id", "default")
            unit["payee"] = {
                "email_address": "merchant@example.com",
                "merchant_id": resources.MERCHANT_ID,
            }
            units.append(unit)
        order: dict[str, Any] = {
            "id": order_id,
            "intent": body["intent"],
            "status": "PAYER_ACTION_REQUIRED" if source is not None else "CREATED",
            "purchase_units": units,
            "create_time": now,
            "update_time": now,
            "links": [],
            "_context": {
                "return_url": context.get("return_url"),
                "cancel_url": context.get("cancel_url"),
            },
        }
        if source is not None:
            order["payment_source"] = {"paypal": {}}
        rel = "payer-action" if source is not None else "approve"
        api = f"{self.base(base)}/v2/checkout/orders/{order_id}"
        order["links"] = [
            {"href": api, "rel": "self", "method": "GET"},
            {
                "href": f"{self.base(base)}/checkoutnow?token={order_id}",
                "rel": rel,
                "method": "GET",
            },
            {"href": api, "rel": "update", "method": "PATCH"},
            {"href": f"{api}/capture", "rel": "capture", "method": "POST"},
        ]
        with self._lock:
            self.orders[order_id] = order
        return self.order(order_id)

    def order(self, order_id: str) -> dict[str, Any]:
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                raise issue("INVALID_RESOURCE_ID", field="order_id", location="path")
            result = copy.deepcopy(order)
        result.pop("_context")
        return result

    def approve(self, order_id: str) -> str:
        """The payer approves on the PayPal page; returns the redirect (``token``, ``PayerID``)."""
        payer_id = resources.account_id()
        with self._lock:
            order = self._open_order(order_id)
            order["status"] = "APPROVED"
            order["update_time"] = self._now_iso()
            order["payer"] = {
                "name": {"given_name": "Emulated", "surname": "Payer"},
                "email_address": "payer@example.com",
                "payer_id": payer_id,
                "address": {"country_code": "US"},
            }
            order["payment_source"] = {
                "paypal": {
                    "email_address": "payer@example.com",
                    "account_id": payer_id,
                    "account_status": "VERIFIED",
                    "name": {"given_name": "Emulated", "surname": "Payer"},
                    "address": {"country_code": "US"},
                }
            }
            self._emit("CHECKOUT.ORDER.APPROVED", "checkout-order", self.order(order_id))
            target = order["_context"]["return_url"] or ""
        self.flush_webhooks()
        sep = "&" if "?" in target else "?"
        return f"{target}{sep}token={order_id}&PayerID={payer_id}"

    def cancel(self, order_id: str) -> str:
        with self._lock:
            order = self._open_order(order_id)
            target = order["_context"]["cancel_url"] or ""
        sep = "&" if "?" in target else "?"
        return f"{target}{sep}token={order_id}"

    def _open_order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise issue("INVALID_RESOURCE_ID")
        if order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
            raise issue("ORDER_ALREADY_COMPLETED")
        return order

    def capture(self, order_id: str, *, base: str) -> dict[str, Any]:
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                raise issue("INVALID_RESOURCE_ID", field="order_id", location="path")
            if order["status"] == "COMPLETED":
                raise issue("ORDER_ALREADY_CAPTURED")
            if order["status"] != "APPROVED":
                raise issue("ORDER_NOT_APPROVED")
            for unit in order["purchase_units"]:
                invoice = unit.get("invoice_id")
                if invoice and any(
                    c.get("invoice_id") == invoice and c["status"] in ("COMPLETED", "PENDING")
                    for c in self.captures.values()
                ):
                    raise issue("DUPLICATE_INVOICE_ID")
            outcome = self.capture_outcome
            captures = [
                self._new_capture(order_id, unit, outcome, base) for unit in order["purchase_units"]
            ]
            if outcome == "DECLINED":
                order["status"] = (
                    "PAYER_ACTION_REQUIRED" if "payment_source" in order else "CREATED"
                )
                for cap in captures:
                    self._emit(
                        "PAYMENT.CAPTURE.DECLINED", "capture", self.capture_resource(cap["id"])
                    )
            else:
                for unit, cap in zip(order["purchase_units"], captures, strict=True):
                    unit["payments"] = {"captures": [cap]}
                order["status"] = "COMPLETED"
                order["update_time"] = self._now_iso()
                for cap in captures:
                    self._emit(
                        f"PAYMENT.CAPTURE.{cap['status']}",
                        "capture",
                        self.capture_resource(cap["id"]),
                    )
        self.flush_webhooks()
        if outcome == "DECLINED":
            raise issue("INSTRUMENT_DECLINED")
        return self.order(order_id)

    def _new_capture(
        self, order_id: str, unit: dict[str, Any], status: str, base: str
    ) -> dict[str, Any]:
        capture = resources.capture(
            capture_id=resources.paypal_id(),
            order_id=order_id,
            unit=unit,
            status=status,
            base=self.base(base),
            now=self._now_iso(),
        )
        self.captures[capture["id"]] = capture
        self._capture_order[capture["id"]] = order_id
        return capture

    def capture_resource(self, capture_id: str) -> dict[str, Any]:
        """``GET /v2/payments/captures/{id}`` and the webhook resource (with related ids)."""
        with self._lock:
            capture = self.captures.get(capture_id)
            if capture is None:
                raise issue("INVALID_RESOURCE_ID")
            result = copy.deepcopy(capture)
            result["supplementary_data"] = {
                "related_ids": {"order_id": self._capture_order[capture_id]}
            }
            return result

    def settle_capture(
        self, capture_id: str, status: Literal["COMPLETED", "DENIED"] = "COMPLETED"
    ) -> dict[str, Any]:
        """A ``PENDING`` capture clears (``COMPLETED``) or is refused (``DENIED``).

        A refused capture's ``status`` is ``DECLINED``: Payments v2 has no ``DENIED`` status
        (``capture_status`` enum); ``DENIED`` names only the webhook,
        ``PAYMENT.CAPTURE.DENIED``.
        """
        with self._lock:
            capture = self.captures[capture_id]
            if capture["status"] != "PENDING":
                raise ValueError("capture is not pending")
            capture["status"] = "DECLINED" if status == "DENIED" else status
            capture.pop("status_details", None)
            capture["update_time"] = self._now_iso()
            self._emit(f"PAYMENT.CAPTURE.{status}", "capture", self.capture_resource(capture_id))
        self.flush_webhooks()
        return self.capture_resource(capture_id)

    def reverse_capture(self, capture_id: str) -> dict[str, Any]:
        """A chargeback: ``PAYMENT.CAPTURE.REVERSED``. The money went back to the payer, so the
        capture reads ``REFUNDED`` with reason ``CHARGEBACK`` (Payments v2 has no ``REVERSED``
        status; ``capture_status_details.reason`` names chargebacks)."""
        with self._lock:
            capture = self.captures[capture_id]
            capture["status"] = "REFUNDED"
            capture["status_details"] = {"reason": "CHARGEBACK"}
            capture["update_time"] = self._now_iso()
            self._emit("PAYMENT.CAPTURE.REVERSED", "capture", self.capture_resource(capture_id))
        self.flush_webhooks()
        return self.capture_resource(capture_id)

    # --- refunds -----------------------------------------------------------------------------
    def refund_capture(self, capture_id: str, body: Any, *, base: str) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        with self._lock:
            capture = self.captures.get(capture_id)
            if capture is None:
                raise issue("INVALID_RESOURCE_ID", field="capture_id", location="path")
            if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
                if capture["status"] == "REFUNDED":
                    raise issue("CAPTURE_FULLY_REFUNDED")
                raise issue("REFUND_NOT_ALLOWED")
            currency = capture["amount"]["currency_code"]
            captured = Decimal(capture["amount"]["value"])
            refunded = sum(
                (
                    Decimal(r["amount"]["value"])
                    for r in self.refunds.values()
                    if r["_capture"] == capture_id and r["status"] == "COMPLETED"
                ),
                Decimal(0),
            )
            remaining = captured - refunded
            amount = remaining
            if body.get("amount") is not None:
                code, amount = parse_money(body["amount"], "/amount")
                if code != currency:
                    raise issue("REFUND_CAPTURE_CURRENCY_MISMATCH")
                if amount <= 0:
                    raise issue("CANNOT_BE_ZERO_OR_NEGATIVE")
                if amount > remaining:
                    raise issue("REFUND_AMOUNT_EXCEEDED")
            now = self._now_iso()
            refund = resources.refund(
                refund_id=resources.paypal_id(),
                capture_id=capture_id,
                amount=money(currency, amount),
                refunded_total=money(currency, refunded + amount),
                base=self.base(base),
                now=now,
                extras={
                    k: body[k] for k in ("invoice_id", "custom_id", "note_to_payer") if body.get(k)
                },
            )
            refund_id = refund["id"]
            self.refunds[refund_id] = refund
            capture["status"] = (
                "REFUNDED" if refunded + amount >= captured else "PARTIALLY_REFUNDED"
            )
            capture["update_time"] = now
            self._emit("PAYMENT.CAPTURE.REFUNDED", "refund", self.refund(refund_id))
        self.flush_webhooks()
        return self.refund(refund_id)

    def refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise issue("INVALID_RESOURCE_ID")
            result = copy.deepcopy(refund)
        result.pop("_capture")
        return result

    # --- webhooks ----------------------------------------------------------------------------
    def _emit(self, event_type: str, resource_type: str, resource: dict[str, Any]) -> None:
        event = resources.event(
            event_type=event_type,
            resource_type=resource_type,
            resource=resource,
            base=self.base(),
            now=self._now_iso(),
        )
        self.events.append(event)
        self._outgoing.append(event)

    def flush_webhooks(self) -> None:
        with self._lock:
            batch, self._outgoing = self._outgoing, []
        for event in batch:
            self.webhooks.enqueue(
                event["id"], self.webhook_url, json.dumps(event).encode(), self._signed_headers
            )

    def verify_webhook_signature(self, body: Any) -> dict[str, str]:
        """PayPal's postback check of a webhook it sent: ``SUCCESS`` when the signature is
        this emulator's over that event for that webhook id and certificate, else
        ``FAILURE``. The event is checked as re-serialised the way the emulator sent it,
        so an event changed in any value fails."""
        fields = (
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
            "webhook_event",
        )
        if not isinstance(body, dict):
            raise PayPalApiError(400, "MALFORMED_REQUEST_JSON")
        for name in fields:
            if not body.get(name):
                raise PayPalApiError(400, "MISSING_REQUIRED_PARAMETER", field=f"/{name}")
        ok = (
            body["auth_algo"] == "SHA256withRSA"
            and body["cert_url"] == self.cert_url
            and body["webhook_id"] == self.webhook_id
            and isinstance(body["webhook_event"], dict)
            and self.signer.verify(
                transmission_id=str(body["transmission_id"]),
                when=str(body["transmission_time"]),
                webhook_id=str(body["webhook_id"]),
                body=json.dumps(body["webhook_event"]).encode(),
                signature=str(body["transmission_sig"]),
            )
        )
        return {"verification_status": "SUCCESS" if ok else "FAILURE"}

    @property
    def cert_url(self) -> str:
        return f"{self.base()}/v1/notifications/certs/{self.signer.cert_name}"

    def _signed_headers(self, body: bytes) -> dict[str, str]:
        now = datetime.fromtimestamp(self.clock(), UTC)
        return self.signer.headers(
            body, webhook_id=self.webhook_id, cert_url=self.cert_url, now=now
        )
