"""Markets through a real server: the country switcher, prices in the market's currency, a
product not sold in a market, the cart and the checkout page's VAT following the country,
and bad countries and amounts answered with a 400 that says what to fix."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from flask import Flask
from sqlalchemy import select

from emulators.common import LiveServer
from emulators.stripe import StripeEmulator
from storefront.container import services
from storefront.gateways.registry import Gateways
from storefront.gateways.stripe_gateway import StripeGateway
from storefront.orders.models import Order
from tests.support.lake import LakeHandle

COMPOST = "/products/compost-happens"  # EUR 29.00; UK 25.00; US 32.00 (the demo's prices)


@pytest.fixture
def http(app: Flask) -> Iterator[httpx.Client]:
    with (
        LiveServer(app) as server,
        httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=30) as client,
    ):
        yield client


def form_token(http: httpx.Client, path: str = "/cart") -> dict[str, str]:
    """The CSRF field of a page, as a browser would send it back (none on shared pages)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', http.get(path).text)
    return {"csrf_token": found[1]} if found else {}


def choose(http: httpx.Client, country: str) -> httpx.Response:
    """The footer's switcher, as a browser posts it."""
    data = {"country": country, "next": COMPOST, **form_token(http)}
    return http.post("/market", data=data)


def price(page: str) -> str:
    found = re.search(r'<p class="price" id="price">([^<]+)</p>', page)
    assert found, page[:500]
    return found[1]


def add_a_black_m(http: httpx.Client) -> None:
    """Put one black M "Compost Happens" in the cart through the product form."""
    added = http.post(
        "/cart/add",
        data={
            "product_id": "product-compost-happens",
            "variant_key": "black-m",
            **form_token(http),
        },
    )
    assert added.status_code == 303, added.text


def test_the_market_follows_the_chosen_country(http: httpx.Client) -> None:
    assert price(http.get(COMPOST).text) == "€29.00"  # no country chosen: the first market
    for country, shown in (("GB", "£25.00"), ("US", "$32.00"), ("CA", "$32.00"), ("FR", "€29.00")):
        answer = choose(http, country)
        assert answer.status_code == 303, answer.text[-3000:]
        assert answer.headers["location"] == COMPOST
        page = http.get(COMPOST)
        assert price(page.text) == shown, country
        assert "private" in page.headers["Cache-Control"]  # never shared across markets


def test_listing_filters_read_the_markets_currency(http: httpx.Client) -> None:
    choose(http, "GB")
    page = http.get("/shop", params={"max": "25"}).text
    assert "Max GBP" in page
    cards = re.findall(r'<span class="card-price">([^<]+)</span>', page)
    assert cards and all(c.lstrip("from ").startswith("£") for c in cards)


def test_a_product_without_a_price_in_the_market_is_not_sold_there(
    http: httpx.Client, lake: LakeHandle
) -> None:
    lake.mutate([{"patch": {"id": "product-compost-happens", "unset": ["prices"]}}])
    choose(http, "US")
    page = http.get(COMPOST).text
    assert "Not sold in United States and elsewhere" in price(page)
    assert 'name="variant_key"' not in page  # nothing to add to a cart
    added = http.post(
        "/cart/add",
        data={
            "product_id": "product-compost-happens",
            "variant_key": "black-m",
            **form_token(http),
        },
        headers={"Accept": "application/json"},
    )
    assert added.status_code in (404, 409), added.text
    choose(http, "DE")
    assert price(http.get(COMPOST).text) == "€29.00"


def test_the_cart_is_repriced_when_the_country_changes_and_checkout_shows_vat(
    http: httpx.Client,
) -> None:
    choose(http, "DE")
    add_a_black_m(http)
    assert "€29.00" in http.get("/cart").text
    page = http.get("/checkout").text
    # Germany: 19% of (29.00 + 4.95 shipping) = 5.42, net 28.53
    assert re.search(r"Includes VAT 19% <span>€5.42</span> \(net €28.53\)", page), page
    choose(http, "GB")
    cart = http.get("/cart").text
    assert "changed from €29.00 to £25.00" in cart
    page = http.get("/checkout").text
    # UK: 20% of (25.00 + 5.95) = 5.16, net 25.79
    assert re.search(r"Includes VAT 20% <span>£5.16</span> \(net £25.79\)", page), page
    choose(http, "US")
    page = http.get("/checkout").text
    assert "Export: no VAT charged" in page and "$32.00" in page


@pytest.mark.parametrize("country", ["XX", "ZZ", "DEU", "", "1"])
def test_an_unknown_country_is_a_400_that_names_it(http: httpx.Client, country: str) -> None:
    answer = http.post(
        "/market",
        data={"country": country, **form_token(http)},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert any(
        words in message
        for words in ("We do not ship to", "not a country code", "Choose the country")
    ), message


@pytest.mark.parametrize(("value", "hint"), [("10.123", "decimals"), ("ten", "not an amount")])
def test_a_price_filter_with_a_bad_amount_is_a_400(
    http: httpx.Client, value: str, hint: str
) -> None:
    answer = http.get("/shop", params={"min": value}, headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert hint in answer.json()["error"]["message"]
    assert "EUR" in answer.json()["error"]["message"]


def test_price_filters_leave_out_what_is_not_sold_in_the_market(
    http: httpx.Client, lake: LakeHandle
) -> None:
    lake.mutate([{"patch": {"id": "product-compost-happens", "unset": ["prices"]}}])
    choose(http, "US")
    page = http.get("/shop", params={"max": "100"}).text
    assert "Compost Happens" not in page and "not sold in" not in page
    assert re.findall(r'<span class="card-price">([^<]+)</span>', page)


def test_the_forms_offer_every_country_a_market_sells_to_and_it_checks_out(
    app: Flask, http: httpx.Client
) -> None:
    """One list of where the shop ships: the markets'. Romania is only in a market (it was
    priced by the API, then refused by the checkout's own list)."""
    choose(http, "RO")
    add_a_black_m(http)
    page = http.get("/checkout").text
    offered = re.findall(r'<option value="([A-Z]{2})"', page)
    with app.test_request_context():
        markets = services(app).catalog.markets()
    sold_to = {c for m in markets for c in m.countries}
    assert set(offered) == sold_to
    assert '<option value="RO" selected>Romania</option>' in page
    names = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]+)</option>', page)
    assert names == sorted(names[: len(sold_to)]) * 2  # the checkout's list, then the footer's
    fields = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page)[1],  # type: ignore[index]
        "checkout_key": re.search(r'name="checkout_key" value="([^"]+)"', page)[1],  # type: ignore[index]
        "email": "ana@example.com",
        "first_name": "Ana",
        "last_name": "Popescu",
        "address_line1": "Strada Memorandumului 1",
        "city": "Cluj-Napoca",
        "post_code": "400114",
        "country": "RO",
        "shipping_method": "normal",
        "provider": "stripe",
    }
    stripe = StripeEmulator(webhook_url="http://127.0.0.1:9/webhooks/stripe")
    with LiveServer(stripe) as server:
        stripe.public_base_url = server.url
        gateways = services(app).gateways
        services(app).gateways = Gateways(
            StripeGateway.create(
                api_key="sk_test_local", webhook_secret="whsec_x", api_base=server.url
            ),
            gateways.get("paypal"),
        )
        paid = http.post("/checkout", data=fields)
    assert paid.status_code == 303, paid.text[-2000:]
    assert paid.headers["location"].startswith(server.url)  # on to the payment page
    with services(app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.shipping_address["country"] == "RO"
        assert order.currency == "EUR"
        assert order.subtotal_amount == 2900
