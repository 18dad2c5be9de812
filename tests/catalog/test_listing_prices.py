"""Listing filters and sorts by the price the shopper pays (the cheapest available variant's,
by ``cms_schema.pricing``), not by the product's base price: through a real server, the shop
page and the JSON API alike."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from flask import Flask

from cms_schema.pricing import variant_price
from emulators.common import LiveServer
from tests.support.lake import LakeHandle

#: Base price 28.00 (the lowest), but every variant overridden to 35.00.
DEAR_VARIANTS = "product-worm-appreciation-society"
#: Base price 29.00, but a 6.00 surcharge on every size: from 35.00.
SURCHARGED = "product-compost-happens"
#: Base price 34.00, but one variant overridden to 20.00: from 20.00.
ONE_CHEAP_VARIANT = "product-last-glacier-tour"


def _change(lake: LakeHandle, doc_id: str, edit: Callable[[dict[str, Any]], None]) -> None:
    doc = copy.deepcopy(lake.store.get(doc_id))
    assert doc is not None
    edit(doc)
    lake.mutate([{"createOrReplace": doc}])


def _dear_variants(doc: dict[str, Any]) -> None:
    for v in doc["variants"]:
        v["price"] = 3500


def _surcharge_every_size(doc: dict[str, Any]) -> None:
    doc["sizeSurcharges"] = [
        {"_key": size.lower(), "size": size, "amount": 600} for size in doc["sizes"]
    ]


def _one_cheap_variant(doc: dict[str, Any]) -> None:
    doc["variants"][0]["price"] = 2000


@pytest.fixture
def from_prices(lake: LakeHandle) -> dict[str, int]:
    """Publish the three changes; every published product's "from" price by slug, by the
    pricing rule straight from the lake's documents (no demo variant is sold out)."""
    _change(lake, DEAR_VARIANTS, _dear_variants)
    _change(lake, SURCHARGED, _surcharge_every_size)
    _change(lake, ONE_CHEAP_VARIANT, _one_cheap_variant)
    prices: dict[str, int] = {}
    for doc in lake.store.documents():
        if (
            doc["_type"] == "product"
            and doc.get("published")
            and not doc["_id"].startswith("drafts.")
        ):
            variant_prices = [variant_price(doc, v) for v in doc["variants"]]
            prices[doc["slug"]["current"]] = min(p for p in variant_prices if p is not None)
    assert prices["worm-appreciation-society"] == 3500
    assert prices["compost-happens"] == 3500
    assert prices["last-glacier-tour"] == 2000
    return prices


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with LiveServer(app) as live:
        yield live.url


def _api_all(http: httpx.Client, server: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every page of ``GET /api/v1/products`` (pages of 2, to cross page boundaries)."""
    items: list[dict[str, Any]] = []
    page, total = 1, None
    while True:
        got = http.get(f"{server}/api/v1/products", params={**params, "page": page, "page_size": 2})
        assert got.status_code == 200, got.text
        body = got.json()
        total = body["total"] if total is None else total
        assert body["total"] == total
        items += body["items"]
        if len(body["items"]) < 2:
            return items, total
        page += 1


def test_api_price_filter_uses_what_the_shopper_pays(
    server: str, from_prices: dict[str, int]
) -> None:
    with httpx.Client(timeout=30) as http:
        items, total = _api_all(http, server, max_price=3000, sort="title")
    slugs = [p["slug"] for p in items]
    assert "worm-appreciation-society" not in slugs  # base 28.00, every variant 35.00
    assert "compost-happens" not in slugs  # base 29.00, every size 6.00 more
    assert "last-glacier-tour" in slugs  # base 34.00, one variant 20.00
    assert sorted(slugs) == sorted(s for s, p in from_prices.items() if p <= 3000)
    assert total == len(slugs)  # the count matches what the pages hold
    assert all(p["price_from"] <= 3000 for p in items)

    with httpx.Client(timeout=30) as http:
        dear, total = _api_all(http, server, min_price=3500, sort="title")
    assert sorted(p["slug"] for p in dear) == sorted(s for s, p in from_prices.items() if p >= 3500)
    assert {"worm-appreciation-society", "compost-happens"} <= {p["slug"] for p in dear}
    assert total == len(dear)


def test_api_price_sort_uses_what_the_shopper_pays(
    server: str, from_prices: dict[str, int]
) -> None:
    with httpx.Client(timeout=30) as http:
        ascending, total = _api_all(http, server, sort="price-asc")
        descending, _ = _api_all(http, server, sort="price-desc")
    assert total == len(from_prices) == len(ascending)
    prices = [p["price_from"] for p in ascending]
    assert prices == sorted(prices)
    assert [p["price_from"] for p in descending] == sorted(prices, reverse=True)
    assert ascending[0]["slug"] == "last-glacier-tour"
    assert {p["slug"]: p["price_from"] for p in ascending} == from_prices
    # equal prices keep A-Z order
    for a, b in itertools.pairwise(ascending):
        if a["price_from"] == b["price_from"]:
            assert a["title"] <= b["title"]


def _cards(html: str) -> list[str]:
    """The slugs of the product cards on a listing page, in order."""
    return re.findall(r'<li class="card[^"]*">\s*<a href="/products/([^"]+)"', html)


def test_shop_page_filters_and_sorts_by_the_from_price(
    server: str, from_prices: dict[str, int]
) -> None:
    with httpx.Client(timeout=30) as http:
        cheap = http.get(f"{server}/shop", params={"max": "30"})
        by_price = http.get(f"{server}/shop", params={"sort": "price-asc"})
    assert cheap.status_code == 200 and by_price.status_code == 200
    shown = _cards(cheap.text)
    assert "worm-appreciation-society" not in shown  # base 28.00, every variant 35.00
    assert "compost-happens" not in shown  # base 29.00, every size 6.00 more
    assert "last-glacier-tour" in shown  # base 34.00, one variant 20.00
    expected = sorted(s for s, p in from_prices.items() if p <= 3000)
    assert sorted(shown) == expected  # all on one page
    assert f">{len(expected)} designs</p>" in cheap.text

    ordered = _cards(by_price.text)
    assert ordered[0] == "last-glacier-tour"
    # Compost Happens (base 29.00, from 35.00) comes after every shirt from less than 35.00.
    assert ordered.index("compost-happens") >= sum(1 for p in from_prices.values() if p < 3500)
    assert [from_prices[s] for s in ordered] == sorted(from_prices[s] for s in ordered)


def test_a_sold_out_cheap_variant_does_not_set_the_from_price(
    server: str, lake: LakeHandle, from_prices: dict[str, int]
) -> None:
    """The from-price is the cheapest *available* variant's: once Gelato says the 20.00
    variant is gone, the shirt costs 34.00 and leaves the "under 30.00" filter."""
    glacier = lake.store.get(ONE_CHEAP_VARIANT)
    assert glacier is not None
    uid = glacier["variants"][0]["productUid"]
    inventory = {"_id": f"inventory-{uid}", "_type": "inventory", "productUid": uid}
    lake.mutate([{"createOrReplace": {**inventory, "available": False}}])
    with httpx.Client(timeout=30) as http:
        items, total = _api_all(http, server, max_price=3000)
        one = http.get(f"{server}/api/v1/products/last-glacier-tour").json()
    assert one["price_from"] == 3400
    assert "last-glacier-tour" not in {p["slug"] for p in items}
    assert total == len(items) == sum(1 for p in from_prices.values() if p <= 3000) - 1


def test_a_variant_without_a_valid_price_is_not_offered(server: str, lake: LakeHandle) -> None:
    """A price override of 0 (only possible past Studio's validation) is no price: the shop
    neither sells that variant for nothing nor at the base price instead."""
    doc = lake.store.get("product-extinct-is-forever")
    assert doc is not None
    key = doc["variants"][0]["_key"]
    _change(lake, "product-extinct-is-forever", lambda d: d["variants"][0].update(price=0))
    with httpx.Client(timeout=30) as http:
        api = http.get(f"{server}/api/v1/products/extinct-is-forever").json()
        page = http.get(f"{server}/products/extinct-is-forever")
    keys = [v["key"] for v in api["variants"]]
    assert key not in keys and len(keys) == len(doc["variants"]) - 1
    assert all(v["price"] > 0 for v in api["variants"])
    assert page.status_code == 200
    assert f'value="{key}"' not in page.text
    assert "€0.00" not in page.text
