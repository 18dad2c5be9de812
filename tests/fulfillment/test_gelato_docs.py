"""The Gelato emulator against what Gelato's public v4 documentation says, over the wire:
each point listed in ``emulators/gelato/__init__.py``'s docstring, one test each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from emulators.gelato import GelatoEmulator
from tests.fulfillment.conftest import API_KEY, POSTER, TEE

SERVICE_TYPES = {"normal", "standard", "express", "pallet"}


@pytest.fixture
def emulator() -> GelatoEmulator:
    return GelatoEmulator(api_key=API_KEY, webhook_retry_delay=0)


@pytest.fixture
def gelato(emulator: GelatoEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=emulator),
        base_url="http://gelato.test",
        headers={"X-API-KEY": API_KEY},
    ) as client:
        yield client


def order(reference: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderType": "order",
        "orderReferenceId": reference,
        "customerReferenceId": "cust-1",
        "currency": "EUR",
        "items": [
            {
                "itemReferenceId": f"{reference}-1",
                "productUid": TEE,
                "files": [{"type": "default", "url": "https://cdn.example.test/a.png"}],
                "quantity": 2,
            },
            {
                "itemReferenceId": f"{reference}-2",
                "productUid": TEE,
                "files": [{"type": "default", "url": "https://cdn.example.test/b.png"}],
                "quantity": 1,
            },
        ],
        "shippingAddress": {
            "firstName": "Morticia",
            "lastName": "Addams",
            "addressLine1": "1 Cemetery Lane",
            "city": "Berlin",
            "postCode": "10115",
            "country": "DE",
            "email": "morticia@example.test",
        },
    }
    for key, value in changes.items():
        if key in ("firstName", "lastName", "country"):
            body["shippingAddress"][key] = value
        else:
            body[key] = value
    return body


def create(gelato: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = gelato.post("/v4/orders", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def search(gelato: httpx.Client, **body: Any) -> list[str]:
    response = gelato.post("/v4/orders:search", json=body)
    assert response.status_code == 200, response.text
    return [row["orderReferenceId"] for row in response.json()["orders"]]


def backdate(emulator: GelatoEmulator, reference: str, when: datetime) -> None:
    with emulator.store.lock:
        for order_id in emulator.store.by_reference[reference]:
            stored = emulator.store.orders[order_id]
            stored["createdAt"] = stored["orderedAt"] = when.isoformat(timespec="seconds")


# --- orders:search ----------------------------------------------------------------------------
def test_search_matches_the_recipient_name_or_our_reference(gelato: httpx.Client) -> None:
    create(gelato, order("SF-1001", firstName="Wednesday"))
    create(gelato, order("SF-1002", lastName="Frump"))
    create(gelato, order("SF-2003"))
    assert search(gelato, search="Wednesday") == ["SF-1001"]
    assert search(gelato, search="Frump") == ["SF-1002"]
    assert sorted(search(gelato, search="SF-100")) == ["SF-1001", "SF-1002"]
    assert search(gelato, search="Gomez") == []


def test_search_by_dates_channels_and_currencies(
    gelato: httpx.Client, emulator: GelatoEmulator
) -> None:
    create(gelato, order("SF-OLD"))
    create(gelato, order("SF-NEW", currency="USD"))
    now = datetime.now(UTC)
    backdate(emulator, "SF-OLD", now - timedelta(days=30))
    week_ago = (now - timedelta(days=7)).isoformat()
    assert search(gelato, startDate=week_ago) == ["SF-NEW"]
    assert search(gelato, endDate=week_ago) == ["SF-OLD"]
    assert search(gelato, startDate=(now - timedelta(days=31)).isoformat()) == [
        "SF-NEW",
        "SF-OLD",
    ]  # newest first
    assert search(gelato, currencies=["USD"]) == ["SF-NEW"]
    assert search(gelato, currencies=["EUR", "GBP"]) == ["SF-OLD"]
    assert search(gelato, channels=["shopify", "etsy"]) == []
    assert sorted(search(gelato, channels=["api"])) == ["SF-NEW", "SF-OLD"]
    bad = gelato.post("/v4/orders:search", json={"startDate": "last tuesday"})
    assert bad.status_code == 400


def test_search_rows_carry_items_count_and_total_incl_vat(gelato: httpx.Client) -> None:
    create(gelato, order("SF-TOTAL"))
    create(gelato, order("SF-DRAFT", orderType="draft"))
    rows = {
        row["orderReferenceId"]: row
        for row in gelato.post("/v4/orders:search", json={}).json()["orders"]
    }
    row = rows["SF-TOTAL"]
    assert row["itemsCount"] == 2
    # 3 tees at 12.50 plus standard shipping in the EU for 3 units (3.95 + 2 × 1.00)
    assert row["totalInclVat"] == "43.45"
    assert rows["SF-DRAFT"]["totalInclVat"] == "0.00"
    expected = {
        "id", "orderType", "orderReferenceId", "customerReferenceId", "fulfillmentStatus",
        "financialStatus", "currency", "channel", "storeId", "createdAt", "updatedAt",
        "orderedAt", "country", "firstName", "lastName", "connectedOrderIds", "itemsCount",
        "totalInclVat",
    }  # fmt: skip
    assert set(row) == expected  # the fields of the documented example, no more


# --- stock -------------------------------------------------------------------------------------
def test_stock_always_sends_replenishment_date(
    gelato: httpx.Client, emulator: GelatoEmulator
) -> None:
    emulator.set_stock(
        POSTER, "out-of-stock-replenishable", regions=["EU"], replenishment_date="2027-02-13"
    )
    response = gelato.post("/v3/stock/region-availability", json={"products": [TEE, POSTER]})
    rows = {
        row["productUid"]: row["availability"] for row in response.json()["productsAvailability"]
    }
    for availability in rows.values():
        assert availability and all("replenishmentDate" in entry for entry in availability)
    assert {e["stockRegionUid"]: e["replenishmentDate"] for e in rows[POSTER]}["EU"] == "2027-02-13"
    assert all(entry["replenishmentDate"] is None for entry in rows[TEE])


# --- quotes and shipment methods --------------------------------------------------------------
def quote(gelato: httpx.Client, units: int = 3) -> dict[str, Any]:
    body = {
        "orderReferenceId": "Q-1",
        "customerReferenceId": "cust-1",
        "currency": "EUR",
        "recipient": order("x")["shippingAddress"],
        "products": [{"itemReferenceId": "q1", "productUid": TEE, "quantity": units}],
    }
    response = gelato.post("/v4/orders:quote", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_quote_methods_carry_dates_audience_weight_and_parcels(gelato: httpx.Client) -> None:
    [only] = quote(gelato)["quotes"]
    today = datetime.now(UTC).date()
    assert only["shipmentMethods"]
    for method in only["shipmentMethods"]:
        for key in ("minDeliveryDate", "maxDeliveryDate"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", method[key])
        low = date.fromisoformat(method["minDeliveryDate"])
        high = date.fromisoformat(method["maxDeliveryDate"])
        assert low == today + timedelta(days=method["minDeliveryDays"])
        assert high == today + timedelta(days=method["maxDeliveryDays"])
        assert isinstance(method["isPrivate"], bool) and isinstance(method["isBusiness"], bool)
        assert isinstance(method["totalWeight"], int) and method["totalWeight"] > 0
        assert method["numberOfParcels"] == 1
    heavier = quote(gelato, units=30)["quotes"][0]["shipmentMethods"][0]
    assert heavier["numberOfParcels"] == 2
    assert heavier["totalWeight"] > only["shipmentMethods"][0]["totalWeight"] * 9


def test_method_uids_are_carriers_and_service_types_stay_types(gelato: httpx.Client) -> None:
    [only] = quote(gelato)["quotes"]
    quoted = {m["shipmentMethodUid"]: m["type"] for m in only["shipmentMethods"]}
    assert not set(quoted) & SERVICE_TYPES
    assert {"normal", "express"} <= set(quoted.values())
    listed = gelato.get("/v1/shipment-methods").json()["shipmentMethods"]
    assert not {m["shipmentMethodUid"] for m in listed} & SERVICE_TYPES
    assert {m["type"] for m in listed} <= SERVICE_TYPES
    # Create-order takes a service type and picks a carrier of that type.
    for service in ("normal", "standard", "express"):
        created = create(gelato, order(f"SF-{service}", shipmentMethodUid=service))
        uid = created["shipment"]["shipmentMethodUid"]
        wanted = "normal" if service == "standard" else service
        assert quoted[uid] == wanted
    # ... or a carrier uid from the quote, kept as given.
    carrier = next(uid for uid, kind in quoted.items() if kind == "express")
    created = create(gelato, order("SF-carrier", shipmentMethodUid=carrier))
    assert created["shipment"]["shipmentMethodUid"] == carrier
