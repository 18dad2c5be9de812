"""Quotes, stock availability and shipment methods."""

from __future__ import annotations

import pytest

from storefront.gelato.client import MAX_STOCK_UIDS
from storefront.gelato.errors import GelatoPermanentError
from storefront.gelato.types import QuoteProduct, StockStatus, stock_region_for
from tests.fulfillment.conftest import POSTER, TEE, TEE_L, address


def test_quote_prices_shipping_in_minor_units(client) -> None:
    [quote] = client.quote(address(), [QuoteProduct("a", TEE, 1)], "EUR")
    assert quote.fulfillment_country == "DE"
    assert quote.item_reference_ids == ("a",)
    by_uid = {m.shipment_method_uid: m for m in quote.shipment_methods}
    assert by_uid["dhl_global_parcel"].price == 395
    assert by_uid["dhl_global_parcel"].currency == "EUR"
    assert by_uid["dhl_global_parcel"].type == "normal"
    assert by_uid["dhl_express_worldwide"].price == 987  # 395 * 2.5, rounded down
    assert by_uid["dhl_express_worldwide"].type == "express"
    assert quote.product_prices == {"a": 1250}


def test_quote_is_deterministic_per_country_and_quantity(client) -> None:
    us = address(country="US", state="NY", post_code="10001", city="New York")
    [first] = client.quote(us, [QuoteProduct("a", TEE, 3)], "USD")
    [again] = client.quote(us, [QuoteProduct("a", TEE, 3)], "USD")
    assert first == again
    prices = {m.shipment_method_uid: m.price for m in first.shipment_methods}
    assert prices["dhl_global_parcel"] == 499 + 2 * 100
    assert "ups_ground_us" in prices


def test_quote_for_mixed_hubs_returns_one_quote_per_hub(client) -> None:
    quotes = client.quote(address(), [QuoteProduct("t", TEE), QuoteProduct("p", POSTER)], "EUR")
    assert sorted(q.item_reference_ids for q in quotes) == [("p",), ("t",)]


def test_quote_refuses_uk(client) -> None:
    with pytest.raises(GelatoPermanentError, match="GB"):
        client.quote(address(country="UK"), [QuoteProduct("a", TEE)], "GBP")


def test_stock_statuses_are_mapped_defensively(client, emulator) -> None:
    emulator.set_stock(TEE, "out-of-stock-replenishable", replenishment_date="2026-12-24")
    emulator.set_stock(TEE_L, "in-of-stock")  # the typo from Gelato's own docs
    emulator.set_stock(POSTER, "non-stockable", regions=["EU"])
    emulator.set_stock(POSTER, "out-of-stock", regions=["UK"])
    unknown = "apparel_product_that_gelato_does_not_know"
    stock = client.stock_availability([TEE, TEE_L, POSTER, unknown])
    tee = stock[TEE].regions["EU"]
    assert tee.status is StockStatus.OUT_OF_STOCK_REPLENISHABLE
    assert tee.replenishment_date == "2026-12-24"
    assert not stock[TEE].sellable_in("EU")
    assert stock[TEE_L].status_in("EU") is StockStatus.UNKNOWN
    assert stock[TEE_L].regions["EU"].raw_status == "in-of-stock"
    assert not stock[TEE_L].sellable_in("EU")
    assert stock[POSTER].sellable_in("EU")  # non-stockable = made on demand
    assert not stock[POSTER].sellable_in("UK")
    assert stock[POSTER].status_in("US-CA") is StockStatus.IN_STOCK
    assert stock[unknown].status_in("EU") is StockStatus.NOT_SUPPORTED
    assert not stock[unknown].sellable_in("EU")
    assert stock[TEE].status_in("MARS") is StockStatus.UNKNOWN


@pytest.mark.parametrize(
    ("raw", "expected", "sellable"),
    [
        ("in-stock", StockStatus.IN_STOCK, True),
        ("non-stockable", StockStatus.NON_STOCKABLE, True),
        ("out-of-stock", StockStatus.OUT_OF_STOCK, False),
        ("not-supported", StockStatus.NOT_SUPPORTED, False),
        ("in-of-stock", StockStatus.UNKNOWN, False),
        ("IN-STOCK", StockStatus.UNKNOWN, False),
        (None, StockStatus.UNKNOWN, False),
    ],
)
def test_stock_status_parse(raw, expected, sellable) -> None:
    assert StockStatus.parse(raw) is expected
    assert StockStatus.parse(raw).sellable is sellable


def test_more_than_250_uids_are_refused_before_any_call(client, emulator) -> None:
    uids = [f"{TEE}-{n}" for n in range(MAX_STOCK_UIDS + 1)]
    with pytest.raises(ValueError, match="250"):
        client.stock_availability(uids)
    assert emulator.calls["stock"] == 0


def test_batched_helper_splits_into_calls_of_250(client, emulator) -> None:
    uids = [f"uid-{n}" for n in range(600)] + ["uid-1"]  # duplicates are asked once
    stock = client.stock_availability_batched(uids)
    assert len(stock) == 600
    assert emulator.calls["stock"] == 3


def test_the_emulator_itself_refuses_too_many_products(emulator) -> None:
    import httpx

    with httpx.Client(transport=httpx.WSGITransport(app=emulator)) as http:
        response = http.post(
            "http://g/v3/stock/region-availability",
            json={"products": ["x"] * 251},
            headers={"X-API-KEY": emulator.api_key},
        )
        empty = http.post(
            "http://g/v3/stock/region-availability",
            json={"products": []},
            headers={"X-API-KEY": emulator.api_key},
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request_too_many_products"
    assert empty.json()["code"] == "invalid_request_products_not_provided"


def test_shipment_methods_per_country(client) -> None:
    uk = {m.shipment_method_uid for m in client.shipment_methods("gb")}
    us = {m.shipment_method_uid for m in client.shipment_methods("US")}
    assert "royal_mail_tracked_48" in uk and "royal_mail_tracked_48" not in us
    assert "ups_ground_us" in us
    assert all(m.has_tracking for m in client.shipment_methods("DE"))


@pytest.mark.parametrize(
    ("country", "region"),
    [("US", "US-CA"), ("ca", "US-CA"), ("GB", "UK"), ("DE", "EU"), ("AU", "OC"), ("ZA", "ROW")],
)
def test_stock_region_for_country(country: str, region: str) -> None:
    assert stock_region_for(country) == region
