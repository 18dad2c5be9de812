"""Webhook endpoints: verify → ignore what isn't ours → record → act → answer fast.

Signatures are checked over the raw body by each provider's adapter. A bad signature is a
400 that changes nothing; a duplicate delivery is a 200 that changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.errors import BadRequest, ServiceUnavailable
from storefront.gateways.port import ProviderEvent, ProviderUnavailable, SignatureError
from storefront.orders.links import order_url
from storefront.payments.events import handle_event
from storefront.web.auth import access

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _handle(provider: str, parse: Callable[[bytes], ProviderEvent]) -> ResponseReturnValue:
    raw = request.get_data(cache=False)
    try:
        event = parse(raw)
    except SignatureError as exc:
        log.warning("%s webhook refused: %s", provider, exc)
        raise BadRequest(
            "The webhook signature is missing, wrong or too old.", code="bad_signature"
        ) from exc
    except ProviderUnavailable as exc:  # e.g. PayPal's certificate could not be fetched
        log.warning("%s webhook not verifiable now: %s", provider, exc)
        raise ServiceUnavailable("Cannot verify the webhook right now; retry later.") from exc
    except ValueError as exc:
        raise BadRequest("The webhook body is not a valid event.", code="bad_event") from exc
    outcome = handle_event(services().db, event, order_link=order_url)
    log.info("%s webhook %s %s: %s", provider, event.event_id, event.type, outcome)
    return jsonify(received=True, outcome=outcome)


def _provider_event(provider: str) -> ResponseReturnValue:
    """Each gateway checks its own signature headers over the raw body."""
    gateway = services().gateways.get(provider)
    headers = dict(request.headers.items())
    return _handle(provider, lambda raw: gateway.parse_event(raw, headers))


@bp.post("/stripe")
@access("webhook")
def stripe() -> ResponseReturnValue:
    return _provider_event("stripe")


@bp.post("/paypal")
@access("webhook")
def paypal() -> ResponseReturnValue:
    return _provider_event("paypal")
