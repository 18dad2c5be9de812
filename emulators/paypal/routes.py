"""HTTP face of :class:`PayPalEmulator`: REST like api-m.paypal.com, ``/checkoutnow`` like
www.paypal.com, the signing cert like PayPal's cert host, and ``/_emulator/...`` control."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from emulators.common import control_blueprint
from emulators.paypal.orders import PayPalApiError, new_debug_id

if TYPE_CHECKING:
    from emulators.paypal.emulator import PayPalEmulator

APPROVAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PayPal emulator — approve payment</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { font-family: system-ui, sans-serif; background: #f5f7fa; color: #001c64; }
 main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 2rem;
        border-radius: .75rem; }
 button { display: block; width: 100%; margin: .5rem 0; padding: .75rem; font-size: 1rem;
          border: 0; border-radius: 2rem; cursor: pointer; }
 .approve { background: #ffc439; } .cancel { background: #e9edf2; }
 .notice { font-size: .8rem; color: #545d68; }
</style></head>
<body><main>
 <p class="notice">Local PayPal emulator — no real money moves.</p>
 <h1>Pay {{ amount }}</h1>
 {% if breakdown %}<table>
  {% for label, value in breakdown %}<tr><td>{{ label }}</td><td>{{ value }}</td></tr>
  {% endfor %}</table>{% endif %}
 {% if payable %}
 <form method="post" action="{{ action }}">
  <input type="hidden" name="token" value="{{ token }}">
  <button class="approve" type="submit" name="action" value="approve">Approve and pay</button>
  <button class="cancel" type="submit" name="action" value="cancel">
   Cancel and return to the shop</button>
 </form>
 {% else %}<p role="alert">This order is {{ status }}.</p>{% endif %}
</main></body></html>
"""


VERIFY_PATH = "/v1/notifications/verify-webhook-signature"


def _json(status: int, body: dict[str, Any]) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Paypal-Debug-Id"] = g.get("debug_id", "")
    return response


def build_app(emu: PayPalEmulator) -> Flask:
    app = Flask(__name__)

    def base() -> str:
        return request.host_url.rstrip("/") + request.script_root

    def render_error(status: int, message: str) -> Response:
        return _json(status, PayPalApiError(status).body(g.debug_id))

    @app.before_request
    def _start() -> Response | None:
        g.debug_id = new_debug_id()
        if emu.public_base_url is None:
            emu.public_base_url = base()
        if request.path.startswith("/v2/") or request.path == VERIFY_PATH:
            emu.check_token(request.headers.get("Authorization", ""))
        return None

    emu.faults.install(app, render_error)

    @app.errorhandler(PayPalApiError)
    def _api_error(exc: PayPalApiError) -> Response:
        if request.path == "/v1/oauth2/token":
            return _json(
                exc.status,
                {"error": exc.args[0], "error_description": "Client Authentication failed"},
            )
        return _json(exc.status, exc.body(g.debug_id))

    def request_id() -> str | None:
        return request.headers.get("PayPal-Request-Id")

    def representation(order: dict[str, Any]) -> dict[str, Any]:
        if "return=representation" in request.headers.get("Prefer", ""):
            return order
        return {"id": order["id"], "status": order["status"], "links": order["links"]}

    def json_body() -> Any:
        if not request.get_data():
            return {}
        try:
            return json.loads(request.get_data())
        except ValueError:
            raise PayPalApiError(
                400, "MALFORMED_REQUEST_JSON", "The request JSON is not well formed."
            ) from None

    def once(scope: str, handler: Callable[[], dict[str, Any]], status: int) -> Response:
        # Only successes are stored: a refused call may be retried with the same id once the
        # reason is gone (e.g. the payer approved after ORDER_NOT_APPROVED).
        code, body = emu.once(scope, request_id(), lambda: (status, handler()))
        return _json(code, body)

    # --- REST --------------------------------------------------------------------------------
    @app.post("/v1/oauth2/token")
    def token() -> Response:
        auth = request.headers.get("Authorization", "")
        try:
            client_id, _, secret = (
                base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            client_id, secret = "", ""
        return _json(200, emu.issue_token(client_id, secret, request.form.get("grant_type")))

    @app.post("/v2/checkout/orders")
    def create_order() -> Response:
        body = json_body()
        return once("create", lambda: representation(emu.create_order(body, base=base())), 201)

    @app.get("/v2/checkout/orders/<order_id>")
    def get_order(order_id: str) -> Response:
        return _json(200, emu.order(order_id))

    @app.post("/v2/checkout/orders/<order_id>/capture")
    def capture(order_id: str) -> Response:
        json_body()
        return once(
            f"capture:{order_id}", lambda: representation(emu.capture(order_id, base=base())), 201
        )

    @app.get("/v2/payments/captures/<capture_id>")
    def get_capture(capture_id: str) -> Response:
        return _json(200, emu.capture_resource(capture_id))

    @app.post("/v2/payments/captures/<capture_id>/refund")
    def refund(capture_id: str) -> Response:
        body = json_body()
        return once(
            f"refund:{capture_id}", lambda: emu.refund_capture(capture_id, body, base=base()), 201
        )

    @app.get("/v2/payments/refunds/<refund_id>")
    def get_refund(refund_id: str) -> Response:
        return _json(200, emu.refund(refund_id))

    @app.post(VERIFY_PATH)
    def verify_webhook_signature() -> Response:
        return _json(200, emu.verify_webhook_signature(json_body()))

    @app.get("/v1/notifications/certs/<name>")
    def cert(name: str) -> Response:
        if name != emu.signer.cert_name:
            return _json(404, PayPalApiError(404).body(g.debug_id))
        return Response(emu.signer.cert_pem, mimetype="application/x-pem-file")

    # --- approval page -----------------------------------------------------------------------
    @app.get("/checkoutnow")
    def approval_page() -> Response:
        order = emu.order(request.args.get("token", ""))
        amount = order["purchase_units"][0]["amount"]
        html = render_template_string(
            APPROVAL_PAGE,
            amount=f"{amount['value']} {amount['currency_code']}",
            breakdown=[
                (label, ("-" if key in ("discount", "shipping_discount") else "") + part["value"])
                for key, label in (
                    ("item_total", "Items"),
                    ("shipping", "Shipping"),
                    ("shipping_discount", "Shipping discount"),
                    ("discount", "Discount"),
                    ("tax_total", "Tax"),
                )
                if (part := (amount.get("breakdown") or {}).get(key))
            ],
            token=order["id"],
            payable=order["status"] in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"),
            status=order["status"].lower(),
            action=f"{request.script_root}/checkoutnow",
        )
        return Response(html, mimetype="text/html")

    @app.post("/checkoutnow")
    def approval_submit() -> ResponseReturnValue:
        token = request.form.get("token", "")
        action = request.form.get("action")
        if action == "approve":
            return redirect(emu.approve(token), code=302)
        if action == "cancel":
            return redirect(emu.cancel(token), code=302)
        return Response("unknown action", status=400, mimetype="text/plain")

    # --- control -------------------------------------------------------------------------------
    def set_outcome(data: dict[str, Any]) -> str:
        outcome = str(data.get("outcome", "COMPLETED")).upper()
        match outcome:
            case "COMPLETED" | "PENDING" | "DECLINED":
                emu.capture_outcome = outcome
            case _:
                raise ValueError("outcome must be COMPLETED, PENDING or DECLINED")
        return outcome

    commands: dict[str, Callable[[dict[str, Any]], Any]] = {
        "capture_outcome": set_outcome,
        "approve": lambda d: emu.approve(d["order_id"]),
        "settle_capture": lambda d: emu.settle_capture(
            d["capture_id"], d.get("status", "COMPLETED")
        ),
        "reverse_capture": lambda d: emu.reverse_capture(d["capture_id"]),
        "expire_tokens": lambda _d: emu.tokens.clear(),
    }
    app.register_blueprint(control_blueprint(emu.faults, emu.webhooks, commands, reset=emu.reset))
    return app
