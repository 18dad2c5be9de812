"""The HTTP endpoints of the Gelato emulator, in Gelato's request and response shapes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from emulators.gelato import catalog
from emulators.gelato.store import GelatoStore, RequestInvalid


class GelatoRefusal(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise GelatoRefusal(400, "invalid_request", "Body must be a JSON object")
    return data


def register_routes(app: Flask, store: GelatoStore) -> None:
    def order_or_404(order_id: str) -> dict[str, Any]:
        order = store.orders.get(order_id)
        if order is None:
            raise GelatoRefusal(404, "order_not_found", f"Order {order_id} not found")
        return order

    @app.post("/v4/orders")
    def create_order() -> ResponseReturnValue:
        try:
            return jsonify(store.create(_body()))
        except RequestInvalid as exc:
            raise GelatoRefusal(400, "invalid_request", exc.message, exc.details) from exc

    @app.get("/v4/orders/<order_id>")
    def get_order(order_id: str) -> ResponseReturnValue:
        with store.lock:
            return jsonify(order_or_404(order_id))

    @app.patch("/v4/orders/<order_id>")
    def update_order(order_id: str) -> ResponseReturnValue:
        order_or_404(order_id)
        if _body().get("orderType") != "order":
            raise GelatoRefusal(400, "invalid_request", "Only orderType=order is supported")
        try:
            return jsonify(store.convert_draft(order_id))
        except RequestInvalid as exc:
            raise GelatoRefusal(400, "invalid_request", exc.message) from exc

    @app.delete("/v4/orders/<order_id>")
    def delete_order(order_id: str) -> ResponseReturnValue:
        order_or_404(order_id)
        try:
            store.delete_draft(order_id)
        except RequestInvalid as exc:
            raise GelatoRefusal(400, "invalid_request", exc.message) from exc
        return jsonify({})

    @app.post("/v4/orders/<order_id>:cancel")
    def cancel_order(order_id: str) -> ResponseReturnValue:
        order_or_404(order_id)
        if not store.cancel(order_id):
            raise GelatoRefusal(
                409, "order_cannot_be_canceled", "Order is already in production or canceled"
            )
        return jsonify({})

    @app.post("/v4/orders:search")
    def search_orders() -> ResponseReturnValue:
        body = _body()
        limit, offset = body.get("limit", 50), body.get("offset", 0)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise GelatoRefusal(400, "invalid_request", "limit must be between 1 and 100")
        if not isinstance(offset, int) or offset < 0:
            raise GelatoRefusal(400, "invalid_request", "offset must be 0 or more")
        try:
            rows = store.search(body)
        except RequestInvalid as exc:
            raise GelatoRefusal(400, "invalid_request", exc.message) from None
        return jsonify({"orders": rows[offset : offset + limit]})

    @app.post("/v4/orders:quote")
    def quote() -> ResponseReturnValue:
        return jsonify(_quote(store, _body()))

    @app.post("/v3/stock/region-availability")
    def stock() -> ResponseReturnValue:
        uids = _body().get("products")
        if not uids:
            raise GelatoRefusal(400, "invalid_request_products_not_provided", "No products given")
        if len(uids) > 250:
            raise GelatoRefusal(
                400, "invalid_request_too_many_products", "At most 250 products per request"
            )
        rows = []
        with store.lock:
            for uid in uids:
                custom = store.stock.get(uid, {})
                default = "in-stock" if uid in store.products else "not-supported"
                availability = []
                for region in catalog.STOCK_REGIONS:
                    status, date = custom.get(region, (default, None))
                    availability.append(
                        {"stockRegionUid": region, "status": status, "replenishmentDate": date}
                    )
                rows.append({"productUid": uid, "availability": availability})
        return jsonify({"productsAvailability": rows})

    @app.get("/v1/shipment-methods")
    def shipment_methods() -> ResponseReturnValue:
        country = (request.args.get("country") or "").upper()
        methods = catalog.methods_for(country) if country else list(catalog.SHIPMENT_METHODS)
        rows = [{**m, "supportedCountries": list(m["supportedCountries"])} for m in methods]
        return jsonify({"shipmentMethods": rows})


def _quote(store: GelatoStore, body: dict[str, Any]) -> dict[str, Any]:
    recipient = body.get("recipient") or {}
    country = str(recipient.get("country") or "").upper()
    if country == "UK" or len(country) != 2:
        raise GelatoRefusal(400, "invalid_request", "recipient.country must be ISO-2 (GB not UK)")
    currency = str(body.get("currency") or "")
    if len(currency) != 3:
        raise GelatoRefusal(400, "invalid_request", "currency is required")
    products = body.get("products") or []
    if not products:
        raise GelatoRefusal(400, "invalid_request", "products are required")
    groups: dict[str, list[dict[str, Any]]] = {}
    for product in products:
        uid = product.get("productUid")
        if uid not in store.products:
            raise GelatoRefusal(400, "invalid_request", f"Product {uid!r} is not found")
        groups.setdefault(store.hub_of(uid), []).append(product)
    methods = catalog.methods_for(country)
    if not methods:
        raise GelatoRefusal(400, "no_shipment_methods", f"No shipment to {country}")
    quotes = []
    for hub, group in groups.items():
        units = sum(int(p.get("quantity") or 1) for p in group)
        quotes.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{hub}/{country}/{units}")),
                "itemReferenceIds": [p.get("itemReferenceId") for p in group],
                "fulfillmentCountry": catalog.fulfillment_country(hub, country),
                "shipmentMethods": [_method(m, country, units, currency, hub) for m in methods],
                "products": [
                    {
                        "itemReferenceId": p.get("itemReferenceId"),
                        "productUid": p["productUid"],
                        "quantity": int(p.get("quantity") or 1),
                        "price": catalog.product_price(p["productUid"], currency),
                        "currency": currency,
                    }
                    for p in group
                ],
            }
        )
    return {"orderReferenceId": body.get("orderReferenceId"), "quotes": quotes}


def _method(
    method: dict[str, Any], country: str, units: int, currency: str, hub: str
) -> dict[str, Any]:
    low, high = catalog.delivery_days(method)
    today = datetime.now(UTC).date()
    return {
        "name": method["name"],
        "shipmentMethodUid": method["shipmentMethodUid"],
        "price": catalog.shipping_price(method, country, units, currency),
        "currency": currency,
        "minDeliveryDays": low,
        "maxDeliveryDays": high,
        "minDeliveryDate": (today + timedelta(days=low)).isoformat(),
        "maxDeliveryDate": (today + timedelta(days=high)).isoformat(),
        "type": method["type"],
        "isPrivate": method["isPrivate"],
        "isBusiness": method["isBusiness"],
        "totalWeight": catalog.total_weight(hub, units),
        "numberOfParcels": catalog.parcels(units),
        "incoTerms": "DDP" if country in ("US", "CA") else "DAP",
    }
