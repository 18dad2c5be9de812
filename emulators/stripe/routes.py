"""HTTP face of :class:`StripeEmulator`: ``/v1/...`` like api.stripe.com, ``/pay/<id>`` like
checkout.stripe.com, ``/_emulator/...`` for control."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from emulators.common import control_blueprint, new_id
from emulators.stripe.errors import StripeApiError
from emulators.stripe.objects import decode_form
from emulators.stripe.page import PAGE, format_amount

if TYPE_CHECKING:
    from emulators.stripe.emulator import StripeEmulator


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _base_url() -> str:
    return request.host_url.rstrip("/") + request.script_root


def build_app(emu: StripeEmulator) -> Flask:
    app = Flask(__name__)

    def render_error(status: int, message: str) -> Response:
        return _json(status, StripeApiError(status, message, type_="api_error").body(g.request_id))

    @app.before_request
    def _start() -> Response | None:
        g.request_id = new_id("req_", 14)
        emu.expire_due()
        if not request.path.startswith("/v1/"):
            return None
        auth = request.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ").strip()
        g.api_key = key
        if not key.startswith(("sk_", "rk_")) or (emu.api_key and key != emu.api_key):
            error = StripeApiError(401, f"Invalid API Key provided: {key[:8]}***")
            return _json(401, error.body(g.request_id))
        return None

    # Faults are consulted after authentication and request ids exist.
    emu.faults.install(app, render_error)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["Request-Id"] = g.get("request_id", "")
        return response

    @app.errorhandler(StripeApiError)
    def _api_error(exc: StripeApiError) -> Response:
        return _json(exc.status, exc.body(g.request_id))

    def params() -> dict[str, Any]:
        return decode_form(request.form.items(multi=True))

    def query() -> dict[str, Any]:
        return decode_form(request.args.items(multi=True))

    def post(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
        """Run an unsafe call under Stripe's idempotency rules."""
        # The same parameters in any order are the same request (repr is cheap; urlencode
        # took a third of the emulator's time per Checkout Session).
        fingerprint = f"{request.method} {request.path}?{sorted(request.form.items(multi=True))!r}"
        key = request.headers.get("Idempotency-Key")
        status, body, replayed = emu.idempotent(
            g.api_key, key, fingerprint, lambda: (200, handler(params()))
        )
        response = _json(status, body)
        if key:
            response.headers["Idempotency-Key"] = key
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    # --- API -------------------------------------------------------------------------------
    @app.post("/v1/checkout/sessions")
    def create_session() -> Response:
        return post(lambda p: emu.create_session(p, base_url=_base_url(), request_id=g.request_id))

    @app.post("/v1/coupons")
    def create_coupon() -> Response:
        return post(emu.create_coupon)

    @app.get("/v1/coupons/<coupon_id>")
    def get_coupon(coupon_id: str) -> Response:
        return _json(200, emu.coupon(coupon_id))

    @app.post("/v1/tax_rates")
    def create_tax_rate() -> Response:
        return post(emu.create_tax_rate)

    @app.get("/v1/checkout/sessions/<session_id>")
    def get_session(session_id: str) -> Response:
        return _json(200, emu.session(session_id, expand=query().get("expand") or ()))

    @app.post("/v1/checkout/sessions/<session_id>/expire")
    def expire_session(session_id: str) -> Response:
        return post(lambda _p: emu.expire_session(session_id, request_id=g.request_id))

    @app.get("/v1/payment_intents/<intent_id>")
    def get_payment_intent(intent_id: str) -> Response:
        return _json(200, emu.payment_intent(intent_id))

    @app.post("/v1/refunds")
    def create_refund() -> Response:
        idem = request.headers.get("Idempotency-Key")
        return post(lambda p: emu.create_refund(p, request_id=g.request_id, idem=idem))

    @app.get("/v1/refunds/<refund_id>")
    def get_refund(refund_id: str) -> Response:
        return _json(200, emu.refund(refund_id))

    @app.get("/v1/events")
    def list_events() -> Response:
        return _json(200, emu.list_events(query()))

    @app.get("/v1/events/<event_id>")
    def get_event(event_id: str) -> Response:
        return _json(200, emu.event(event_id))

    # --- hosted payment page -------------------------------------------------------------------
    def page(session_id: str, *, error: str | None = None, status: int = 200) -> Response:
        ctx = emu.page_context(session_id)
        session = ctx["session"]
        currency = session["currency"]
        lines = [
            {
                "name": line["price_data"]["product_data"]["name"],
                "quantity": int(line["quantity"]),
                "amount": format_amount(
                    int(line["price_data"]["unit_amount"]) * int(line["quantity"]), currency
                ),
            }
            for line in ctx["lines"]
        ]
        shipping = session["total_details"]["amount_shipping"]
        discount = session["total_details"]["amount_discount"]
        tax = session["total_details"]["amount_tax"]
        html = render_template_string(
            PAGE,
            shop="Storefront",
            total=format_amount(session["amount_total"], currency),
            lines=lines,
            shipping=format_amount(shipping, currency) if shipping else None,
            discount=format_amount(-discount, currency) if discount else None,
            discount_name=", ".join(
                str(emu.coupon(d["coupon"]).get("name") or d["coupon"])
                for d in session["discounts"]
            ),
            tax=format_amount(tax, currency) if tax else None,
            status=session["status"],
            error=error,
            action=f"{request.script_root}/pay/{session_id}",
            cancel_url=session["cancel_url"],
            email=session["customer_email"],
        )
        return Response(html, status=status, mimetype="text/html")

    @app.get("/pay/<session_id>")
    def show_page(session_id: str) -> Response:
        try:
            return page(session_id)
        except StripeApiError as exc:
            return Response(exc.message, status=exc.status, mimetype="text/plain")

    @app.post("/pay/<session_id>")
    def submit_page(session_id: str) -> ResponseReturnValue:
        action = request.form.get("action", "")
        outcomes = {"pay": "succeeded", "decline": "declined", "pay_later": "processing"}
        if action not in outcomes:
            return Response("unknown action", status=400, mimetype="text/plain")
        try:
            billing = {
                key: request.form[key].strip()
                for key in ("name", "email", "country", "postal_code")
                if request.form.get(key, "").strip()
            }
            session = emu.pay(session_id, outcome=outcomes[action], billing=billing)
        except StripeApiError as exc:
            if exc.status == 404:
                return Response(exc.message, status=404, mimetype="text/plain")
            return page(session_id, error=exc.message, status=exc.status)
        target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return redirect(target, code=303)

    # --- control ---------------------------------------------------------------------------
    commands: dict[str, Callable[[dict[str, Any]], Any]] = {
        "expire_session": lambda d: emu.expire_session(d["session_id"]),
        "expire_due": lambda _d: emu.expire_due(),
        "pay": lambda d: emu.pay(
            d["session_id"], outcome=d.get("outcome", "succeeded"), billing=d.get("billing")
        ),
        "settle_async": lambda d: emu.settle_async(
            d["session_id"], succeeded=bool(d.get("succeeded", True))
        ),
        "fail_refund": lambda d: emu.fail_refund(d["refund_id"]),
    }
    app.register_blueprint(control_blueprint(emu.faults, emu.webhooks, commands, reset=emu.reset))
    return app
