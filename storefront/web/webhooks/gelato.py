"""Gelato's status webhook, and what the order page shows about printing and parcels.

Gelato signs nothing: the endpoint hides behind a secret path segment and a secret header,
and the payload is only a hint — :func:`sync_order` re-reads the order from Gelato.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.errors import BadRequest, NotFound
from storefront.fulfillment.tracking import sync_order
from storefront.inbox.services import record_delivery
from storefront.orders.links import order_url
from storefront.signing import secrets_match
from storefront.web.auth import access

log = logging.getLogger(__name__)
bp = Blueprint("gelato_webhooks", __name__)
EVENTS = frozenset(
    {"order_status_updated", "order_item_status_updated", "order_item_tracking_code_updated"}
)


@bp.post("/webhooks/gelato/<secret>")
@access("webhook")
def gelato(secret: str) -> ResponseReturnValue:
    expected = services().settings.gelato_webhook_secret.get_secret_value()
    header = request.headers.get("signature", "")
    if not (secrets_match(secret, expected) and secrets_match(header, expected)):
        raise NotFound()  # an unknown path, as far as a prober can tell
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not payload.get("orderReferenceId"):
        raise BadRequest("Expected a Gelato event with an orderReferenceId.", code="bad_event")
    event, number = str(payload.get("event", "")), str(payload["orderReferenceId"])
    if event not in EVENTS:
        return jsonify(received=True, outcome="ignored")
    event_id = str(
        payload.get("id") or f"{event}:{payload.get('orderId')}:{payload.get('created')}"
    )
    with services().db.session_scope(write=True) as session:
        fresh = record_delivery(
            session,
            "gelato",
            event_id,
            event,
            {"orderReferenceId": number, "orderId": payload.get("orderId")},
        )
    if not fresh:
        return jsonify(received=True, outcome="duplicate")
    found = services()
    result = sync_order(
        found.db, found.gelato, number, order_link=order_url, actor="webhook:gelato"
    )
    outcome = "synced" if result else "not-ours-or-unreachable"
    return jsonify(received=True, outcome=outcome)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
