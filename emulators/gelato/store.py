"""The emulator's memory: orders as Gelato stores them, and how their statuses move.

Statuses move only on command (:meth:`GelatoStore.advance`) or on the simulated clock
(:meth:`GelatoStore.tick`); every change queues the webhooks Gelato would send, which the
emulator takes with :meth:`GelatoStore.take_events` and delivers *after* the lock is released
(a shop that re-fetches the order from its webhook handler must not deadlock).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulators.gelato import catalog
from emulators.gelato import webhooks as events
from emulators.gelato.address import address_problems

PROGRESSION = (
    "created",
    "passed",
    "in_production",
    "printed",
    "shipped",
    "in_transit",
    "delivered",
)
RANK = {status: index for index, status in enumerate(PROGRESSION)}
#: Once an item reaches one of these, cancel answers 409.
NOT_CANCELLABLE = frozenset({"printed", "shipped", "in_transit", "delivered", "canceled"})
FINAL = frozenset({"delivered", "canceled", "failed", "returned"})
SIDE_STATES = frozenset(
    {"failed", "canceled", "on_hold", "returned", "pending_approval", "draft", "not_connected"}
)


class RequestInvalid(Exception):
    """A 400 with Gelato-like ``details``."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class GelatoStore:
    def __init__(
        self,
        *,
        products: set[str] | None = None,
        split_orders: bool = True,
        hub_of: Callable[[str], str] = catalog.hub_of,
        clock_step: float = 60.0,
    ) -> None:
        self._events: list[dict[str, Any]] = []
        self.products = set(products) if products is not None else catalog.default_products()
        self.split_orders = split_orders
        self.hub_of = hub_of
        self.clock_step = clock_step
        self.clock = 0.0
        self.lock = threading.RLock()
        self.orders: dict[str, dict[str, Any]] = {}
        self.by_reference: dict[str, list[str]] = {}
        self._due: dict[str, float] = {}
        self.stock: dict[str, dict[str, tuple[str, str | None]]] = {}

    def take_events(self) -> list[dict[str, Any]]:
        """The webhooks produced since the last call, oldest first."""
        with self.lock:
            events, self._events = self._events, []
        return events

    # --- create ------------------------------------------------------------------------

    def validate(self, body: dict[str, Any]) -> None:
        details: list[dict[str, str]] = []

        def bad(reference: str, message: str) -> None:
            details.append({"reference": reference, "message": message})

        for key in ("orderReferenceId", "customerReferenceId"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                bad(key, f"{key} is required")
        currency = body.get("currency")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
            bad("currency", "currency must be an ISO 4217 code")
        if body.get("orderType", "order") not in ("order", "draft"):
            bad("orderType", "orderType must be order or draft")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            bad("items", "items are required")
            items = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            ref = item.get("itemReferenceId") if isinstance(item, dict) else None
            if not ref:
                bad(f"items[{i}].itemReferenceId", "itemReferenceId is required")
            elif ref in seen:
                bad(f"items[{i}].itemReferenceId", f"itemReferenceId {ref} is not unique")
            seen.add(ref or "")
            uid = item.get("productUid") if isinstance(item, dict) else None
            if uid not in self.products:
                bad(f"items[{i}].productUid", f"Product {uid!r} is not found")
            quantity = item.get("quantity", 1) if isinstance(item, dict) else 0
            if not isinstance(quantity, int) or quantity < 1:
                bad(f"items[{i}].quantity", "quantity must be at least 1")
            files = item.get("files") if isinstance(item, dict) else None
            if not files or not all(
                isinstance(f, dict) and str(f.get("url", "")).startswith(("http://", "https://"))
                for f in files
            ):
                bad(f"items[{i}].files", "Print files are missing or have no downloadable url")
        address = body.get("shippingAddress")
        if not isinstance(address, dict):
            bad("shippingAddress", "shippingAddress is required")
        else:
            for name, message in address_problems(address):
                bad(f"shippingAddress.{name}", message)
        metadata = body.get("metadata") or []
        if len(metadata) > 20 or any(
            len(str(m.get("key", ""))) > 100 or len(str(m.get("value", ""))) > 100 for m in metadata
        ):
            bad("metadata", "metadata allows 20 pairs of at most 100 characters")
        if details:
            raise RequestInvalid(details[0]["message"], details)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Store the order (split by hub when enabled); returns the first part."""
        self.validate(body)
        groups: dict[str, list[dict[str, Any]]] = {}
        for item in body["items"]:
            hub = self.hub_of(item["productUid"]) if self.split_orders else "all"
            groups.setdefault(hub, []).append(item)
        country = body["shippingAddress"]["country"].strip().upper()
        method = self._pick_method(body.get("shipmentMethodUid"), country)
        draft = body.get("orderType") == "draft"
        now = _now()
        parts = []
        for hub, items in groups.items():
            order_id = str(uuid.uuid4())
            status = "draft" if draft else "created"
            facility_country = catalog.fulfillment_country(
                hub if hub != "all" else self.hub_of(items[0]["productUid"]), country
            )
            low, high = catalog.delivery_days(method)
            parts.append(
                {
                    "id": order_id,
                    "orderType": "draft" if draft else "order",
                    "orderReferenceId": body["orderReferenceId"],
                    "customerReferenceId": body["customerReferenceId"],
                    "fulfillmentStatus": status,
                    "financialStatus": "draft" if draft else "to_be_invoiced",
                    "currency": body["currency"],
                    "channel": "api",
                    "storeId": None,
                    "createdAt": now,
                    "updatedAt": now,
                    "orderedAt": now,
                    "items": [
                        {
                            "id": str(uuid.uuid4()),
                            "itemReferenceId": item["itemReferenceId"],
                            "productUid": item["productUid"],
                            "files": item["files"],
                            "quantity": item.get("quantity", 1),
                            "fulfillmentStatus": status,
                            "previews": [],
                        }
                        for item in items
                    ],
                    "shipment": {
                        "id": str(uuid.uuid4()),
                        "shipmentMethodName": method["name"],
                        "shipmentMethodUid": method["shipmentMethodUid"],
                        "fulfillmentCountry": facility_country,
                        "fulfillmentFacilityId": f"facility-{hub}-{facility_country.lower()}",
                        "minDeliveryDays": low,
                        "maxDeliveryDays": high,
                        "packageCount": 0,
                        "packages": [],
                    },
                    "shippingAddress": dict(body["shippingAddress"]),
                    "receipts": [],
                    "metadata": body.get("metadata") or [],
                    "connectedOrderIds": [],
                }
            )
        ids = [p["id"] for p in parts]
        for part in parts:
            part["connectedOrderIds"] = [i for i in ids if i != part["id"]]
        with self.lock:
            for part in parts:
                self.orders[part["id"]] = part
                self.by_reference.setdefault(part["orderReferenceId"], []).append(part["id"])
                self._due[part["id"]] = self.clock + self.clock_step
        return parts[0]

    def _pick_method(self, requested: Any, country: str) -> dict[str, Any]:
        """The cheapest method among those asked for: carrier uids, or service types
        (``normal``, ``standard``, ``express``), comma-separated."""
        methods = catalog.methods_for(country) or list(catalog.SHIPMENT_METHODS[:1])
        if requested:
            wanted = [uid.strip() for uid in str(requested).split(",")]
            if "standard" in wanted:
                wanted.append("normal")
            matches = [
                m for m in methods if m["shipmentMethodUid"] in wanted or m["type"] in wanted
            ]
            if not matches:
                raise RequestInvalid(f"Shipment method {requested} is not available to {country}")
            methods = matches
        return min(methods, key=lambda m: catalog.shipping_price(m, country, 1, "EUR"))

    # --- read / search -----------------------------------------------------------------

    def search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        refs = list(body.get("orderReferenceIds") or [])
        if body.get("orderReferenceId"):
            refs.append(body["orderReferenceId"])
        with self.lock:
            if refs:
                candidates = [self.orders[i] for r in refs for i in self.by_reference.get(r, [])]
            else:
                candidates = list(self.orders.values())
        filters = {
            "ids": "id",
            "fulfillmentStatuses": "fulfillmentStatus",
            "financialStatuses": "financialStatus",
            "orderTypes": "orderType",
            "channels": "channel",
            "currencies": "currency",
            "storeIds": "storeId",
        }
        for key, field in filters.items():
            if body.get(key):
                allowed = set(body[key])
                candidates = [o for o in candidates if o[field] in allowed]
        if body.get("countries"):
            countries = set(body["countries"])
            candidates = [o for o in candidates if o["shippingAddress"]["country"] in countries]
        if body.get("search"):
            text = str(body["search"]).casefold()
            candidates = [o for o in candidates if any(text in v for v in _searchable(o))]
        start, end = _instant(body.get("startDate")), _instant(body.get("endDate"))
        if start is not None:
            candidates = [o for o in candidates if _when(o) >= start]
        if end is not None:
            candidates = [o for o in candidates if _when(o) <= end]
        candidates.sort(key=_when, reverse=True)  # newest first, as Gelato lists them
        return [self.summary(o) for o in candidates]

    @staticmethod
    def summary(order: dict[str, Any]) -> dict[str, Any]:
        address = order["shippingAddress"]
        keys = (
            "id",
            "orderType",
            "orderReferenceId",
            "customerReferenceId",
            "fulfillmentStatus",
            "financialStatus",
            "currency",
            "channel",
            "storeId",
            "createdAt",
            "updatedAt",
            "orderedAt",
        )
        row = {k: order[k] for k in keys}
        row.update(
            country=address.get("country"),
            firstName=address.get("firstName"),
            lastName=address.get("lastName"),
            connectedOrderIds=order["connectedOrderIds"],
            itemsCount=len(order["items"]),
            totalInclVat=_total(order),
        )
        return row

    # --- changes -----------------------------------------------------------------------

    def cancel(self, order_id: str) -> bool:
        """``False`` when too late (an item printed/shipped, or already canceled)."""
        with self.lock:
            order = self.orders[order_id]
            if any(i["fulfillmentStatus"] in NOT_CANCELLABLE for i in order["items"]):
                return False
            self._set(order, "canceled", None)
            order["financialStatus"] = "canceled"
        return True

    def convert_draft(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            order = self.orders[order_id]
            if order["orderType"] != "draft":
                raise RequestInvalid("Only draft orders can be converted")
            order["orderType"] = "order"
            order["financialStatus"] = "to_be_invoiced"
            self._set(order, "created", None)
            self._due[order_id] = self.clock + self.clock_step
            return order

    def delete_draft(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[order_id]
            if order["orderType"] != "draft":
                raise RequestInvalid("Only draft orders can be deleted")
            del self.orders[order_id]
            self.by_reference[order["orderReferenceId"]].remove(order_id)

    def advance(
        self, order_id: str, status: str | None = None, *, item_reference_id: str | None = None
    ) -> dict[str, Any]:
        """Move an order (or one item) to ``status``, or one step on when ``status`` is None."""
        with self.lock:
            order = self.orders[order_id]
            if order["orderType"] == "draft":
                raise ValueError("drafts do not move until converted to an order")
            if status is None:
                status = _next(order["fulfillmentStatus"])
                if status is None:
                    return order
            self._set(order, status, item_reference_id)
            return order

    def advance_all(self, status: str | None = None) -> int:
        """Every open order one step on (or to ``status``); returns how many moved."""
        moved = 0
        with self.lock:
            for order in list(self.orders.values()):
                if order["orderType"] == "draft" or order["fulfillmentStatus"] in FINAL:
                    continue
                target = status or _next(order["fulfillmentStatus"])
                if target and target != order["fulfillmentStatus"]:
                    self._set(order, target, None)
                    moved += 1
        return moved

    def tick(self, seconds: float) -> int:
        """Simulated time: each open order takes one step per ``clock_step`` seconds."""
        moved = 0
        with self.lock:
            self.clock += seconds
            for order_id, order in self.orders.items():
                if order["orderType"] == "draft":
                    continue
                while (
                    self._due.get(order_id, float("inf")) <= self.clock
                    and order["fulfillmentStatus"] not in FINAL
                ):
                    target = _next(order["fulfillmentStatus"])
                    if target is None:
                        break
                    self._set(order, target, None)
                    self._due[order_id] += self.clock_step
                    moved += 1
        return moved

    def _set(self, order: dict[str, Any], status: str, item_reference_id: str | None) -> None:
        before = order["fulfillmentStatus"]
        now = _now()
        changed = []
        for item in order["items"]:
            if item_reference_id and item["itemReferenceId"] != item_reference_id:
                continue
            if item_reference_id is None and item["fulfillmentStatus"] in FINAL - {status}:
                continue
            if item["fulfillmentStatus"] != status:
                item["fulfillmentStatus"] = status
                changed.append(item)
        if (
            item_reference_id
            and not changed
            and not any(i["itemReferenceId"] == item_reference_id for i in order["items"])
        ):
            raise KeyError(item_reference_id)
        new_packages = self._ship(order, changed) if RANK.get(status, -1) >= RANK["shipped"] else []
        order["fulfillmentStatus"] = _aggregate([i["fulfillmentStatus"] for i in order["items"]])
        order["updatedAt"] = now
        for item in changed:
            self._events.append(events.order_item_status_updated(order, item, now))
        for item, package in new_packages:
            self._events.append(events.order_item_tracking_code_updated(order, item, package))
        if order["fulfillmentStatus"] != before:
            self._events.append(events.order_status_updated(order))

    @staticmethod
    def _ship(
        order: dict[str, Any], items: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        shipment = order["shipment"]
        packed = {i for p in shipment["packages"] for i in p["orderItemIds"]}
        fresh = [i for i in items if i["id"] not in packed]
        if not fresh:
            return []
        code = f"GEL{uuid.uuid4().hex[:10].upper()}"
        package = {
            "id": str(uuid.uuid4()),
            "orderItemIds": [i["id"] for i in fresh],
            "trackingCode": code,
            "trackingUrl": f"https://track.example-carrier.test/{code}",
        }
        shipment["packages"].append(package)
        shipment["packageCount"] = len(shipment["packages"])
        return [(item, package) for item in fresh]


def _searchable(order: dict[str, Any]) -> list[str]:
    address = order["shippingAddress"]
    fields = (address.get("firstName"), address.get("lastName"), order["orderReferenceId"])
    return [str(v).casefold() for v in fields if v]


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 date-time filter (a date alone means its midnight, UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RequestInvalid(f"{value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _when(order: dict[str, Any]) -> datetime:
    """Ordered at, or created at for a draft (never ordered)."""
    return datetime.fromisoformat(order["orderedAt"] or order["createdAt"])


def _total(order: dict[str, Any]) -> str:
    """What Gelato charges, VAT included, as a decimal string; nothing for a draft."""
    if order["orderType"] == "draft":
        return "0.00"
    currency = order["currency"]
    goods = sum(
        catalog.product_price(item["productUid"], currency) * int(item.get("quantity") or 1)
        for item in order["items"]
    )
    units = sum(int(item.get("quantity") or 1) for item in order["items"])
    method = next(
        m
        for m in catalog.SHIPMENT_METHODS
        if m["shipmentMethodUid"] == order["shipment"]["shipmentMethodUid"]
    )
    shipping = catalog.shipping_price(method, order["shippingAddress"]["country"], units, currency)
    return f"{goods + shipping:.2f}"


def _next(status: str) -> str | None:
    rank = RANK.get(status)
    if rank is None or rank + 1 >= len(PROGRESSION):
        return None
    return PROGRESSION[rank + 1]


def _aggregate(statuses: list[str]) -> str:
    """The order's status: a shared status, else a side state, else the least advanced."""
    if len(set(statuses)) == 1:
        return statuses[0]
    side = [s for s in statuses if s in SIDE_STATES and s != "canceled"]
    if side:
        return side[0]
    ranked = [s for s in statuses if s in RANK]
    return min(ranked, key=RANK.__getitem__) if ranked else statuses[0]
