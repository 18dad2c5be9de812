"""The JSON API answers in the market of ``?country=``, through a real server; unknown
countries and a currency the market does not sell in are 404s (no prices to answer with)
that say what to fix; malformed codes are 422s."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask

from emulators.common import LiveServer

API = "/api/v1"


@pytest.fixture
def api(app: Flask) -> Iterator[httpx.Client]:
    with LiveServer(app) as server, httpx.Client(base_url=server.url + API, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    ("country", "currency", "price"),
    [("GB", "GBP", 2500), ("US", "USD", 3200), ("DE", "EUR", 2900)],
)
def test_a_product_in_the_market_of_the_country(
    api: httpx.Client, country: str, currency: str, price: int
) -> None:
    body = api.get("/products/compost-happens", params={"country": country}).json()
    assert (body["currency"], body["price_from"], body["sold_here"]) == (currency, price, True)
    black_m = next(v for v in body["variants"] if v["key"] == "black-m")
    assert black_m["price"] == price
    listing = api.get("/products", params={"country": country, "page_size": 100}).json()
    assert {p["currency"] for p in listing["items"]} == {currency}


def test_price_filters_are_in_the_markets_minor_units(api: httpx.Client) -> None:
    cheap = api.get("/products", params={"country": "GB", "max_price": 2500}).json()["items"]
    assert cheap and all(p["price_from"] <= 2500 and p["currency"] == "GBP" for p in cheap)


def test_without_a_country_the_first_market(api: httpx.Client) -> None:
    assert api.get("/products/compost-happens").json()["currency"] == "EUR"


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"country": "XX"}, 404, "We do not ship to XX"),
        ({"country": "GB", "currency": "EUR"}, 404, "are in GBP, not EUR"),
        ({"country": "gb"}, 422, "country"),
        ({"currency": "EURO"}, 422, "currency"),
    ],
)
def test_bad_countries_and_currencies_say_what_to_fix(
    api: httpx.Client, params: dict[str, str], status: int, words: str
) -> None:
    for path in ("/products", "/products/compost-happens"):
        answer = api.get(path, params=params)
        assert answer.status_code == status, answer.text
        assert words in answer.text
