"""Typed values that cross the Gelato boundary; only these leave the client, never raw JSON.

Parsing is defensive: unknown statuses map to ``UNKNOWN`` (callers keep polling) instead of
failing, because Gelato adds statuses without notice (``in_production``/``on_hold`` in 2024).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Literal

from storefront.gelato.address import ShippingAddress, to_gelato
from storefront.money import exponent


def to_minor_units(amount: Any, currency: str) -> int:
    """Gelato sends prices as decimal numbers (sometimes finer than a cent); we keep integer
    minor units of ISO 4217's exponent, rounded half up."""
    value = Decimal(str(amount)).scaleb(exponent(currency))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class FulfillmentStatus(StrEnum):
    DRAFT = "draft"
    CREATED = "created"
    UPLOADING = "uploading"
    PASSED = "passed"
    IN_PRODUCTION = "in_production"
    PRINTED = "printed"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELED = "canceled"
    PENDING_APPROVAL = "pending_approval"
    PENDING_PERSONALIZATION = "pending_personalization"
    DIGITIZING = "digitizing"
    NOT_CONNECTED = "not_connected"
    ON_HOLD = "on_hold"
    RETURNED = "returned"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: Any) -> FulfillmentStatus:
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


class StockStatus(StrEnum):
    IN_STOCK = "in-stock"
    OUT_OF_STOCK_REPLENISHABLE = "out-of-stock-replenishable"
    OUT_OF_STOCK = "out-of-stock"
    NON_STOCKABLE = "non-stockable"
    NOT_SUPPORTED = "not-supported"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: Any) -> StockStatus:
        """Anything unrecognised (the docs' own ``in-of-stock`` typo too) is UNKNOWN."""
        try:
            status = cls(str(value))
        except ValueError:
            return cls.UNKNOWN
        return status

    @property
    def sellable(self) -> bool:
        """Only ``in-stock`` and ``non-stockable`` (made on demand, unlimited) can be sold."""
        return self in (StockStatus.IN_STOCK, StockStatus.NON_STOCKABLE)


@dataclass(frozen=True)
class GelatoFile:
    url: str
    type: str = "default"


@dataclass(frozen=True)
class GelatoItemRequest:
    item_reference_id: str
    product_uid: str
    files: tuple[GelatoFile, ...]
    quantity: int = 1


@dataclass(frozen=True)
class GelatoOrderRequest:
    """What we send to ``POST /v4/orders``; ``order_reference_id`` is our order number."""

    order_reference_id: str
    customer_reference_id: str
    currency: str
    items: tuple[GelatoItemRequest, ...]
    shipping_address: ShippingAddress
    order_type: Literal["order", "draft"] = "order"
    shipment_method_uid: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "orderType": self.order_type,
            "orderReferenceId": self.order_reference_id,
            "customerReferenceId": self.customer_reference_id,
            "currency": self.currency.upper(),
            "items": [
                {
                    "itemReferenceId": item.item_reference_id,
                    "productUid": item.product_uid,
                    "files": [{"type": f.type, "url": f.url} for f in item.files],
                    "quantity": item.quantity,
                }
                for item in self.items
            ],
            "shippingAddress": to_gelato(self.shipping_address),
        }
        if self.shipment_method_uid:
            body["shipmentMethodUid"] = self.shipment_method_uid
        if self.metadata:
            body["metadata"] = [{"key": k, "value": v} for k, v in self.metadata]
        return body


@dataclass(frozen=True)
class GelatoPackage:
    id: str
    tracking_code: str | None
    tracking_url: str | None
    order_item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class GelatoOrderItem:
    id: str
    item_reference_id: str
    product_uid: str
    quantity: int
    fulfillment_status: FulfillmentStatus


@dataclass(frozen=True)
class GelatoOrder:
    """A full order as ``GET /v4/orders/{id}`` returns it."""

    id: str
    order_type: str
    order_reference_id: str
    customer_reference_id: str
    fulfillment_status: FulfillmentStatus
    financial_status: str
    currency: str
    items: tuple[GelatoOrderItem, ...]
    packages: tuple[GelatoPackage, ...]
    shipment_method_uid: str | None
    fulfillment_country: str | None
    connected_order_ids: tuple[str, ...]
    created_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GelatoOrder:
        shipment = data.get("shipment") or {}
        return cls(
            id=str(data["id"]),
            order_type=str(data.get("orderType") or "order"),
            order_reference_id=str(data.get("orderReferenceId") or ""),
            customer_reference_id=str(data.get("customerReferenceId") or ""),
            fulfillment_status=FulfillmentStatus.parse(data.get("fulfillmentStatus")),
            financial_status=str(data.get("financialStatus") or ""),
            currency=str(data.get("currency") or ""),
            items=tuple(
                GelatoOrderItem(
                    id=str(item.get("id") or ""),
                    item_reference_id=str(item.get("itemReferenceId") or ""),
                    product_uid=str(item.get("productUid") or ""),
                    quantity=int(item.get("quantity") or 0),
                    fulfillment_status=FulfillmentStatus.parse(item.get("fulfillmentStatus")),
                )
                for item in data.get("items") or []
            ),
            packages=tuple(
                GelatoPackage(
                    id=str(p.get("id") or ""),
                    tracking_code=p.get("trackingCode") or None,
                    tracking_url=p.get("trackingUrl") or None,
                    order_item_ids=tuple(p.get("orderItemIds") or ()),
                )
                for p in shipment.get("packages") or []
            ),
            shipment_method_uid=shipment.get("shipmentMethodUid"),
            fulfillment_country=shipment.get("fulfillmentCountry")
            or data.get("fulfillmentCountry"),
            connected_order_ids=tuple(data.get("connectedOrderIds") or ()),
            created_at=data.get("createdAt"),
            raw=data,
        )


@dataclass(frozen=True)
class GelatoOrderSummary:
    """One row of ``POST /v4/orders:search`` (search returns summaries, not full orders)."""

    id: str
    order_reference_id: str
    order_type: str
    fulfillment_status: FulfillmentStatus
    financial_status: str
    country: str | None
    created_at: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GelatoOrderSummary:
        return cls(
            id=str(data["id"]),
            order_reference_id=str(data.get("orderReferenceId") or ""),
            order_type=str(data.get("orderType") or "order"),
            fulfillment_status=FulfillmentStatus.parse(data.get("fulfillmentStatus")),
            financial_status=str(data.get("financialStatus") or ""),
            country=data.get("country"),
            created_at=data.get("createdAt"),
        )


@dataclass(frozen=True)
class QuoteProduct:
    item_reference_id: str
    product_uid: str
    quantity: int = 1


@dataclass(frozen=True)
class ShipmentOption:
    """One way to ship a quote; ``price`` in minor units of ``currency``."""

    shipment_method_uid: str
    name: str
    type: str
    price: int
    currency: str
    min_delivery_days: int | None
    max_delivery_days: int | None


@dataclass(frozen=True)
class Quote:
    """One production hub's part of a quote (a split order yields several)."""

    id: str
    item_reference_ids: tuple[str, ...]
    fulfillment_country: str | None
    shipment_methods: tuple[ShipmentOption, ...]
    product_prices: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Quote:
        methods = []
        for m in data.get("shipmentMethods") or []:
            currency = str(m.get("currency") or "")
            methods.append(
                ShipmentOption(
                    shipment_method_uid=str(m.get("shipmentMethodUid") or ""),
                    name=str(m.get("name") or ""),
                    type=str(m.get("type") or "normal"),
                    price=to_minor_units(m.get("price") or 0, currency),
                    currency=currency,
                    min_delivery_days=m.get("minDeliveryDays"),
                    max_delivery_days=m.get("maxDeliveryDays"),
                )
            )
        prices = {
            str(p.get("itemReferenceId")): to_minor_units(
                p.get("price") or 0, p.get("currency", "")
            )
            for p in data.get("products") or []
        }
        return cls(
            id=str(data.get("id") or ""),
            item_reference_ids=tuple(data.get("itemReferenceIds") or ()),
            fulfillment_country=data.get("fulfillmentCountry"),
            shipment_methods=tuple(methods),
            product_prices=prices,
        )


@dataclass(frozen=True)
class RegionAvailability:
    region: str
    status: StockStatus
    raw_status: str
    replenishment_date: str | None = None


@dataclass(frozen=True)
class ProductAvailability:
    product_uid: str
    regions: dict[str, RegionAvailability]

    def status_in(self, region: str) -> StockStatus:
        found = self.regions.get(region)
        return found.status if found else StockStatus.UNKNOWN

    def sellable_in(self, region: str) -> bool:
        return self.status_in(region).sellable


@dataclass(frozen=True)
class ShipmentMethod:
    shipment_method_uid: str
    name: str
    type: str
    has_tracking: bool
    supported_countries: tuple[str, ...]


_EU = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "NO CH IS LI".split()
)
_REGIONS = {"US": "US-CA", "CA": "US-CA", "GB": "UK", "AU": "OC", "NZ": "OC"}
_AS = frozenset("JP KR SG IN CN HK TW MY TH PH ID VN".split())
_SA = frozenset("BR AR CL CO PE UY".split())


def stock_region_for(country: str) -> str:
    """Gelato's stock region for a shipping country (``ROW`` when no closer region fits)."""
    code = country.strip().upper()
    if code in _REGIONS:
        return _REGIONS[code]
    if code in _EU:
        return "EU"
    if code in _AS:
        return "AS"
    if code in _SA:
        return "SA"
    return "ROW"
