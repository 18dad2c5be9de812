"""A stateful Stripe emulator: Checkout Sessions, PaymentIntents, refunds, events, webhooks.

It answers the endpoints the shop uses with Stripe's real shapes and error envelope, keeps
idempotency keys like Stripe (replay the stored answer; a key reused with other parameters is
an ``idempotency_error``), serves a hosted payment page at each session's ``url`` and sends
webhooks signed exactly as Stripe signs them. The HTTP routes are in :mod:`.routes`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from emulators.common import (
    FaultInjector,
    WebhookQueue,
    WebhookSender,
    httpx_sender,
    new_id,
)
from emulators.stripe import objects
from emulators.stripe.coupons import new_coupon
from emulators.stripe.errors import StripeApiError, as_int
from emulators.stripe.events import EventLog, sign_payload
from emulators.stripe.sessions import validate_session, validate_tax_rate

DEFAULT_API_VERSION = "2026-10-28.endive"
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


class StripeEmulator:
    """Emulated Stripe account. Callable as a WSGI app (also :attr:`wsgi_app`).

    ``public_base_url`` is where clients reach the emulator (used in session ``url``); when
    ``None`` it is taken from each request. ``api_key`` ``None`` accepts any ``sk_`` key.
    """

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_local",  # noqa: S107 - the dev default
        public_base_url: str | None = None,
        api_key: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        sender: WebhookSender | None = None,
        hold_webhooks: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.api_key = api_key
        self.api_version = api_version
        self.clock = clock
        self.faults = FaultInjector(sleep=sleep)
        self.webhooks = WebhookQueue(
            sender=sender or httpx_sender(),
            on_result=self._on_delivery,
            clock=clock,
            hold_all=hold_webhooks,
        )
        self._lock = threading.RLock()
        self.reset()
        from emulators.stripe.routes import build_app

        self.wsgi_app = build_app(self)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.wsgi_app(environ, start_response)

    def reset(self) -> None:
        """Forget every object, event and idempotency key (faults are cleared separately)."""
        with self._lock:
            self.sessions: dict[str, dict[str, Any]] = {}
            self.tax_rates: dict[str, dict[str, Any]] = {}
            self.payment_intents: dict[str, dict[str, Any]] = {}
            self.charges: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            self.coupons: dict[str, dict[str, Any]] = {}
            self.event_log = EventLog(api_version=self.api_version)
            self._idempotency: dict[tuple[str, str], tuple[str, int, dict[str, Any]]] = {}
            self._in_flight: set[tuple[str, str]] = set()
            self._session_extras: dict[str, dict[str, Any]] = {}

    # --- idempotency -------------------------------------------------------------------------
    def idempotent(
        self,
        api_key: str,
        key: str | None,
        fingerprint: str,
        handler: Callable[[], tuple[int, dict[str, Any]]],
    ) -> tuple[int, dict[str, Any], bool]:
        """Run ``handler`` once per key; returns ``(status, body, replayed)``.

        The handler runs outside the state lock (it may send webhooks whose receiver calls
        back in); a second request with a key still in flight gets Stripe's 409.
        """
        if not key:
            status, body = handler()
            return status, body, False
        slot = (api_key, key)
        with self._lock:
            stored = self._idempotency.get(slot)
            if stored is not None:
                if stored[0] != fingerprint:
                    raise StripeApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request.",
                        type_="idempotency_error",
                    )
                return stored[1], stored[2], True
            if slot in self._in_flight:
                raise StripeApiError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through).",
                    type_="idempotency_error",
                    code="idempotency_key_in_use",
                )
            self._in_flight.add(slot)
        try:
            status, body = handler()
        finally:
            with self._lock:
                self._in_flight.discard(slot)
        with self._lock:
            self._idempotency[slot] = (fingerprint, status, body)
        return status, body, False

    # --- checkout sessions ---------------------------------------------------------------------
    def create_session(
        self, params: dict[str, Any], *, base_url: str, request_id: str | None = None
    ) -> dict[str, Any]:
        now = int(self.clock())
        with self._lock:
            coupons = {key: dict(coupon) for key, coupon in self.coupons.items()}
            rates = dict(self.tax_rates)
        checked = validate_session(params, now, coupons=coupons, tax_rates=rates)
        session_id = new_id("cs_test_", 58)
        session = objects.checkout_session(
            session_id=session_id,
            created=now,
            expires_at=checked.expires_at,
            url=f"{self.public_base_url or base_url}/pay/{session_id}",
            currency=checked.currency,
            amount_subtotal=checked.subtotal,
            amount_shipping=checked.shipping,
            params=params,
            amount_discount=checked.discount,
            discounts=checked.discounts,
        )
        session["total_details"]["amount_tax"] = checked.tax
        with self._lock:
            self.sessions[session_id] = session
            self._session_extras[session_id] = {
                "lines": checked.lines,
                "line_taxes": list(checked.line_taxes),
                "intent_metadata": dict(
                    (params.get("payment_intent_data") or {}).get("metadata") or {}
                ),
            }
        return objects.snapshot(session)

    # --- coupons ---------------------------------------------------------------------------------
    def create_coupon(self, params: dict[str, Any]) -> dict[str, Any]:
        coupon_id = str(params.get("id") or new_id("", 8))
        coupon = new_coupon(coupon_id, params, int(self.clock()))
        with self._lock:
            if coupon_id in self.coupons:
                raise StripeApiError(
                    400, "Coupon already exists.", param="id", code="resource_already_exists"
                )
            self.coupons[coupon_id] = coupon
        return objects.snapshot(coupon)

    def coupon(self, coupon_id: str) -> dict[str, Any]:
        with self._lock:
            if coupon_id not in self.coupons:
                raise StripeApiError(
                    404, f"No such coupon: '{coupon_id}'", param="id", code="resource_missing"
                )
            return objects.snapshot(self.coupons[coupon_id])

    def create_tax_rate(self, params: dict[str, Any]) -> dict[str, Any]:
        name, percentage, inclusive = validate_tax_rate(params)
        rate = objects.tax_rate(
            rate_id=new_id("txr_", 24),
            created=int(self.clock()),
            display_name=name,
            percentage=percentage,
            inclusive=inclusive,
            params=params,
        )
        with self._lock:
            self.tax_rates[rate["id"]] = rate
        return objects.snapshot(rate)

    def session(self, session_id: str, *, expand: Iterable[str] = ()) -> dict[str, Any]:
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise StripeApiError(
                    404,
                    f"No such checkout.session: '{session_id}'",
                    param="session",
                    code="resource_missing",
                )
            result = objects.snapshot(session)
            if "payment_intent" in expand and result["payment_intent"]:
                result["payment_intent"] = json.loads(
                    json.dumps(self.payment_intents[result["payment_intent"]])
                )
            return result

    def expire_session(self, session_id: str, *, request_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise StripeApiError(404, f"No such checkout.session: '{session_id}'")
            if session["status"] != "open":
                raise StripeApiError(
                    400,
                    f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                    f'Checkout Session has a status of "{session["status"]}".',
                )
            session["status"] = "expired"
            self._emit("checkout.session.expired", session, request_id=request_id)
        self.flush_webhooks()
        return self.session(session_id)

    def expire_due(self) -> list[str]:
        """Expire every open session whose ``expires_at`` has passed (Stripe does it itself)."""
        now = self.clock()
        with self._lock:
            due = [
                sid
                for sid, s in self.sessions.items()
                if s["status"] == "open" and s["expires_at"] <= now
            ]
            for sid in due:
                self.sessions[sid]["status"] = "expired"
                self._emit("checkout.session.expired", self.sessions[sid])
        if due:
            self.flush_webhooks()
        return due

    # --- the hosted page's actions -----------------------------------------------------------
    def page_context(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.session(session_id)
            return {"session": session, "lines": self._session_extras[session_id]["lines"]}

    def pay(
        self,
        session_id: str,
        *,
        outcome: str = "succeeded",
        billing: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Shopper pays: ``succeeded`` (card), ``declined`` or ``processing`` (pay later).

        Like Checkout, the session's ``customer_details`` then hold what the shopper typed on
        the payment page: e-mail (the session's ``customer_email`` when the shop gave one),
        name on the card and the billing address Checkout collects for cards (country and
        postal code), and the charge's ``billing_details`` the same
        (https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-customer_details).
        ``billing`` may set ``name``, ``email``, ``country`` and ``postal_code``.
        """
        billing = billing or {}
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise StripeApiError(404, f"No such checkout.session: '{session_id}'")
            if session["status"] != "open":
                raise StripeApiError(400, f"This Checkout Session is {session['status']}.")
            if outcome == "declined":
                raise StripeApiError(
                    402, "Your card was declined.", type_="card_error", code="card_declined"
                )
            now = int(self.clock())
            intent = objects.payment_intent(
                intent_id=new_id("pi_"),
                created=now,
                amount=session["amount_total"],
                currency=session["currency"],
                metadata=self._session_extras[session_id]["intent_metadata"],
            )
            intent["payment_method"] = new_id("pm_")
            self.payment_intents[intent["id"]] = intent
            session.update(
                status="complete",
                payment_intent=intent["id"],
                customer_details={
                    "address": objects.address(
                        country=billing.get("country", "DE").upper(),
                        postal_code=billing.get("postal_code", "10115"),
                    ),
                    "business_name": None,
                    "email": session["customer_email"]
                    or billing.get("email")
                    or "shopper@example.com",
                    "individual_name": None,
                    "name": billing.get("name", "Emulated Shopper"),
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                },
            )
            if outcome == "processing":
                intent["status"] = "processing"
                intent["processing"] = {"type": "sepa_debit"}
                intent["payment_method_types"] = ["sepa_debit"]
                self._emit("payment_intent.processing", intent)
            else:
                self._succeed(session, intent)
            self._emit("checkout.session.completed", session)
        self.flush_webhooks()
        return self.session(session_id)

    def settle_async(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        """A delayed payment (``pay_later``) finally succeeds or fails."""
        with self._lock:
            session = self.sessions[session_id]
            intent = self.payment_intents.get(session["payment_intent"] or "")
            if intent is None or intent["status"] != "processing":
                raise ValueError("that session has no payment processing")
            if succeeded:
                self._succeed(session, intent)
                self._emit("checkout.session.async_payment_succeeded", session)
            else:
                intent.update(
                    status="requires_payment_method",
                    processing=None,
                    last_payment_error={
                        "type": "card_error",
                        "code": "payment_method_provider_decline",
                        "message": "The bank declined the debit.",
                    },
                )
                self._emit("payment_intent.payment_failed", intent)
                self._emit("checkout.session.async_payment_failed", session)
        self.flush_webhooks()
        return self.session(session_id)

    def _succeed(self, session: dict[str, Any], intent: dict[str, Any]) -> None:
        charge = objects.charge(
            charge_id=new_id("ch_"),
            created=int(self.clock()),
            intent=intent,
            payment_method=intent["payment_method"],
            details=session["customer_details"] or {},
        )
        self.charges[charge["id"]] = charge
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=charge["id"],
            processing=None,
        )
        session["payment_status"] = "paid"
        for discount in session.get("discounts") or []:
            coupon = self.coupons.get(discount.get("coupon") or "")
            if coupon is not None:
                coupon["times_redeemed"] += 1
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", intent)

    # --- payment intents, refunds --------------------------------------------------------------
    def payment_intent(self, intent_id: str) -> dict[str, Any]:
        with self._lock:
            if intent_id not in self.payment_intents:
                raise StripeApiError(
                    404, f"No such payment_intent: '{intent_id}'", code="resource_missing"
                )
            return objects.snapshot(self.payment_intents[intent_id])

    def create_refund(
        self, params: dict[str, Any], *, request_id: str | None = None, idem: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            charge = self._charge_for(params)
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            if remaining <= 0:
                raise StripeApiError(
                    400,
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = remaining
            if params.get("amount") is not None:
                amount = as_int(params["amount"], "amount", minimum=1)
            if amount > remaining:
                raise StripeApiError(
                    400,
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                    f"({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            reason = params.get("reason")
            if reason is not None and reason not in REFUND_REASONS:
                raise StripeApiError(400, f"Invalid reason: {reason}", param="reason")
            refund = objects.refund(
                refund_id=new_id("re_"),
                created=int(self.clock()),
                amount=amount,
                charge_obj=charge,
                reason=reason,
                metadata=dict(params.get("metadata") or {}),
            )
            self.refunds[refund["id"]] = refund
            previous = {"amount_refunded": charge["amount_refunded"], "refunded": False}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            charge["refunds"]["data"].insert(0, refund)
            self._emit("refund.created", refund, request_id=request_id, idem=idem)
            self._emit(
                "charge.refunded",
                charge,
                request_id=request_id,
                idem=idem,
                previous=previous,
            )
        self.flush_webhooks()
        return self.refund(refund["id"])

    def fail_refund(self, refund_id: str) -> dict[str, Any]:
        """A refund that was accepted fails later (``refund.failed`` + ``refund.updated``)."""
        with self._lock:
            refund = self.refunds[refund_id]
            charge = self.charges[refund["charge"]]
            refund.update(status="failed", failure_reason="expired_or_canceled_card")
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
            self._emit("refund.failed", refund)
            self._emit("refund.updated", refund, previous={"status": "succeeded"})
        self.flush_webhooks()
        return self.refund(refund_id)

    def _charge_for(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if params.get("charge"):
            charge = self.charges.get(str(params["charge"]))
            if charge is None:
                raise StripeApiError(404, f"No such charge: '{params['charge']}'", param="charge")
            return charge
        intent_id = params.get("payment_intent")
        if not intent_id:
            raise StripeApiError(400, "One of `charge` or `payment_intent` is required.")
        intent = self.payment_intents.get(str(intent_id))
        if intent is None:
            raise StripeApiError(
                404, f"No such payment_intent: '{intent_id}'", param="payment_intent"
            )
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise StripeApiError(
                400,
                "This PaymentIntent does not have a successful charge to refund.",
                param="payment_intent",
            )
        return self.charges[intent["latest_charge"]]

    def refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            if refund_id not in self.refunds:
                raise StripeApiError(404, f"No such refund: '{refund_id}'", code="resource_missing")
            return objects.snapshot(self.refunds[refund_id])

    # --- events and webhooks -------------------------------------------------------------------
    @property
    def events(self) -> list[dict[str, Any]]:
        return self.event_log.events

    def _emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        request_id: str | None = None,
        idem: str | None = None,
        previous: dict[str, Any] | None = None,
    ) -> None:
        self.event_log.emit(
            event_type,
            obj,
            created=int(self.clock()),
            request_id=request_id,
            idem=idem,
            previous=previous,
        )

    def flush_webhooks(self) -> None:
        """Hand the events emitted so far to the webhook queue (outside the state lock)."""
        for evt in self.event_log.take_outgoing():
            body = json.dumps(evt, indent=2).encode()
            self.webhooks.enqueue(evt["id"], self.webhook_url, body, self._signature_headers)

    def _signature_headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign_payload(body, self.webhook_secret, int(self.clock())),
        }

    def _on_delivery(self, event_id: str, ok: bool) -> None:
        self.event_log.record_delivery(event_id, ok)

    def event(self, event_id: str) -> dict[str, Any]:
        return self.event_log.get(event_id)

    def list_events(self, query: Mapping[str, Any]) -> dict[str, Any]:
        return self.event_log.list(query)
