"""What search engines and link previews read, checked by value: the title and description
from the CMS, the canonical address, Open Graph, and schema.org ``Product`` JSON-LD whose
prices come from the one price rule."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from cms_schema.pricing import variant_price
from storefront.container import services
from tests.support.lake import LakeHandle

DEMO = Path(__file__).resolve().parents[2] / "cms_schema" / "demo" / "data.ndjson"
HTML = {"Accept": "text/html"}


class Head(HTMLParser):
    """The ``<title>``, ``<meta>`` (by name or property), canonical link and JSON-LD."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.title = ""
        self.canonical: str | None = None
        self.json_ld: list[Any] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            key = str(a.get("property") or a.get("name"))
            self.meta.setdefault(key, []).append(str(a.get("content")))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag == "title" or (tag == "script" and a.get("type") == "application/ld+json"):
            self._in = tag
            if tag == "script":
                self.json_ld.append("")

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def one(self, key: str) -> str:
        [value] = self.meta.get(key, [])  # present, exactly once
        return value


def head(client: FlaskClient, path: str) -> Head:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    parsed = Head()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def demo(doc_id: str) -> dict[str, Any]:
    for line in DEMO.read_text().splitlines():
        doc = json.loads(line)
        if doc.get("_id") == doc_id:
            return dict(doc)
    raise KeyError(doc_id)


def test_product_page_title_description_canonical_and_open_graph(
    app: Flask, client: FlaskClient
) -> None:
    product = demo("product-compost-happens")
    page = head(client, "/products/compost-happens")
    base = services(app).settings.base_url.rstrip("/")
    shop = demo("siteSettings")["shopName"]  # the brand comes from the CMS
    title = f"{product['seo']['title']} · {shop}"
    assert page.title == title
    assert page.one("description") == product["seo"]["description"]
    assert page.canonical == f"{base}/products/compost-happens"
    assert page.one("og:title") == title
    assert page.one("og:description") == product["seo"]["description"]
    assert page.one("og:url") == page.canonical
    assert page.one("og:type") == "product"
    assert page.one("og:site_name") == shop
    image = page.one("og:image")
    assert "/mockups/product-compost-happens/" in image  # the shirt, in its first colour
    assert page.canonical and "?" not in page.canonical  # one canonical address


def test_product_json_ld_says_what_the_shop_sells_and_for_how_much(
    client: FlaskClient,
) -> None:
    product = demo("product-compost-happens")
    prices = [variant_price(product, v) for v in product["variants"]]
    [raw] = head(client, "/products/compost-happens").json_ld
    data = json.loads(raw)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Product"
    assert data["name"] == product["title"]
    assert data["description"] == product["description"]
    assert data["sku"] == product["_id"]
    assert data["brand"] == {"@type": "Brand", "name": demo("siteSettings")["shopName"]}
    assert len(data["image"]) == 1 and data["image"][0].startswith("http")
    offers = data["offers"]
    assert offers["@type"] == "AggregateOffer"
    assert offers["priceCurrency"] == product["currency"]
    assert offers["lowPrice"] == f"{min(prices) / 100:.2f}"
    assert offers["highPrice"] == f"{max(prices) / 100:.2f}"
    assert min(prices) < max(prices)  # the 2XL surcharge shows
    assert offers["offerCount"] == len(product["variants"])
    assert offers["availability"] == "https://schema.org/InStock"


def test_json_ld_says_out_of_stock_when_every_variant_is(
    client: FlaskClient, lake: LakeHandle
) -> None:
    product = demo("product-compost-happens")
    lake.mutate(
        [
            {
                "createOrReplace": {
                    "_id": f"inventory-{v['productUid']}",
                    "_type": "inventory",
                    "productUid": v["productUid"],
                    "available": False,
                }
            }
            for v in product["variants"]
        ]
    )
    [raw] = head(client, "/products/compost-happens").json_ld
    assert json.loads(raw)["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_other_pages_are_websites_with_their_own_title(client: FlaskClient) -> None:
    home = head(client, "/")
    assert home.one("og:type") == "website"
    assert home.one("og:title") == home.title
    assert home.one("og:description") == home.one("description")
    assert home.json_ld == []
