"""Gelato's order webhooks: the payloads, and Gelato's way of retrying a delivery.

Gelato POSTs JSON to one configured URL, with the static header configured alongside it (no
HMAC), tries 3 times 5 s apart and then gives up, so receivers must survive lost, repeated
and reordered events (the emulator's ``WebhookQueue`` reproduces those on demand).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from emulators.common import WebhookSender


def _event_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:13]}"


def _fulfillments(order: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    shipment = order.get("shipment") or {}
    result = []
    for package in shipment.get("packages") or []:
        if item["id"] in package.get("orderItemIds", []) and package.get("trackingCode"):
            result.append(
                {
                    "trackingCode": package["trackingCode"],
                    "trackingUrl": package["trackingUrl"],
                    "shipmentMethodName": shipment.get("shipmentMethodName"),
                    "shipmentMethodUid": shipment.get("shipmentMethodUid"),
                    "fulfillmentCountry": shipment.get("fulfillmentCountry"),
                    "fulfillmentStateProvince": None,
                    "fulfillmentFacilityId": shipment.get("fulfillmentFacilityId"),
                }
            )
    return result


def order_status_updated(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _event_id("os"),
        "event": "order_status_updated",
        "orderId": order["id"],
        "storeId": None,
        "orderReferenceId": order["orderReferenceId"],
        "fulfillmentStatus": order["fulfillmentStatus"],
        "items": [
            {
                "itemReferenceId": item["itemReferenceId"],
                "fulfillmentStatus": item["fulfillmentStatus"],
                "fulfillments": _fulfillments(order, item),
            }
            for item in order["items"]
        ],
    }


def order_item_status_updated(
    order: dict[str, Any], item: dict[str, Any], created: str
) -> dict[str, Any]:
    return {
        "id": _event_id("is"),
        "event": "order_item_status_updated",
        "orderId": order["id"],
        "storeId": None,
        "orderReferenceId": order["orderReferenceId"],
        "itemReferenceId": item["itemReferenceId"],
        "status": item["fulfillmentStatus"],
        "comment": "",
        "created": created,
    }


def order_item_tracking_code_updated(
    order: dict[str, Any], item: dict[str, Any], package: dict[str, Any]
) -> dict[str, Any]:
    shipment = order.get("shipment") or {}
    return {
        "id": _event_id("tc"),
        "event": "order_item_tracking_code_updated",
        "orderId": order["id"],
        "storeId": None,
        "orderReferenceId": order["orderReferenceId"],
        "itemReferenceId": item["itemReferenceId"],
        "trackingCode": package["trackingCode"],
        "trackingUrl": package["trackingUrl"],
        "shipmentMethodName": shipment.get("shipmentMethodName"),
        "shipmentMethodUid": shipment.get("shipmentMethodUid"),
        "fulfillmentCountry": shipment.get("fulfillmentCountry"),
    }


def with_gelato_retries(
    sender: WebhookSender,
    *,
    attempts: int = 3,
    delay: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> WebhookSender:
    """Gelato's delivery: up to ``attempts`` tries, ``delay`` seconds apart, then give up."""

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        status = 0
        for attempt in range(attempts):
            try:
                status = sender(url, body, headers)
            except Exception:  # a network failure counts as a failed try, as at Gelato
                status = 0
            if 200 <= status < 300:
                return status
            if attempt < attempts - 1:
                sleep(delay)
        return status

    return send
