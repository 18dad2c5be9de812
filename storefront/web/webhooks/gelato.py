"""Gelato's status webhook, and what the order page shows about printing and parcels.

Gelato signs nothing: the endpoint hides behind a secret path segment and a secret header,
and the payload is only a hint — :func:`sync_order` re-reads the order from Gelato.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import get_db
from storefront.errors import BadRequest, NotFound
from storefront.fulfillment.models import GelatoOrderRecord, Parcel
from storefront.fulfillment.tracking import sync_order
from storefront.inbox.service import record_delivery
from storefront.orders.models import Order
from storefront.web.auth import access

log = logging.getLogger(__name__)
bp = Blueprint("gelato_webhooks", __name__)
EVENTS = frozenset(
    {"order_status_updated", "order_item_status_updated", "order_item_tracking_code_updated"}
)


@bp.post("/webhooks/gelato/<secret>")
@access("webhook")
def gelato(secret: str) -> ResponseReturnValue:
    expected = current_app.extensions["settings"].gelato_webhook_secret.get_secret_value()
    header = request.headers.get("signature", "")
    if not (hmac.compare_digest(secret, expected) and hmac.compare_digest(header, expected)):
        raise NotFound()  # an unknown path, as far as a prober can tell
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not payload.get("orderReferenceId"):
        raise BadRequest("Expected a Gelato event with an orderReferenceId.", code="bad_event")
    event, number = str(payload.get("event", "")), str(payload["orderReferenceId"])
    if event not in EVENTS:
        return jsonify(received=True, outcome="ignored")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    event_id = str(
        payload.get("id") or f"{event}:{payload.get('orderId')}:{payload.get('created')}"
    )
    with get_db(app).session_scope(write=True) as session:
        fresh = record_delivery(
            session,
            "gelato",
            event_id,
            event,
            {"orderReferenceId": number, "orderId": payload.get("orderId")},
        )
    if not fresh:
        return jsonify(received=True, outcome="duplicate")
    result = sync_order(app, number, actor="webhook:gelato")
    outcome = "synced" if result else "not-ours-or-unreachable"
    return jsonify(received=True, outcome=outcome)


def order_page_fulfillment(session: Session, order: Order) -> dict[str, Any] | None:
    """Where it was printed and how to track it, for the shopper's order page (the template
    ``orders/_fulfillment.html`` is rendered after the session is closed)."""
    records = (
        session.execute(select(GelatoOrderRecord).where(GelatoOrderRecord.order_id == order.id))
        .scalars()
        .all()
    )
    parcels = (
        session.execute(select(Parcel).where(Parcel.order_id == order.id).order_by(Parcel.id))
        .scalars()
        .all()
    )
    countries = sorted({r.fulfillment_country for r in records if r.fulfillment_country})
    if not records and not parcels:
        return None
    return {
        "template": "orders/_fulfillment.html",
        "countries": countries,
        "parcels": list(parcels),
    }


def init_app(app: Flask) -> None:
    from storefront.checkout import quotes

    quotes.init_app(app)
    app.register_blueprint(bp)
    app.extensions.setdefault("order_page_extras", []).append(order_page_fulfillment)
