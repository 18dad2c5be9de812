"""Whole pages kept for anonymous visitors (storefront/web/pagecache.py): the view runs once
while nothing the page was built from moves, and again as soon as anything does."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from storefront.container import services
from storefront.stock.models import StockCounter
from tests.support.lake import LakeHandle

PRODUCT = "/products/compost-happens"
LIMITED = "/products/rest-in-plastic"  # a limited edition: its stock is on the page


def count_views(app: Flask, endpoint: str, warm: str = PRODUCT) -> list[dict[str, Any]]:
    """Counts the view's runs. A first request loads the content cache, which moves its
    counter: the page it made is kept under the counters before, so it is made once more
    before it is reused. The warm-up request here does that first load."""
    app.test_client().get(warm)
    calls: list[dict[str, Any]] = []
    original = app.view_functions[endpoint]

    @functools.wraps(original)  # keeps the access level and the shared-cache mark
    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(**kwargs)

    app.view_functions[endpoint] = counting
    return calls


def test_the_next_anonymous_visitor_gets_the_page_without_its_view(
    app: Flask, client: FlaskClient
) -> None:
    calls = count_views(app, "catalog.product")
    first = client.get(PRODUCT)
    second = client.get(PRODUCT)
    assert len(calls) == 1
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert "public" in second.headers["Cache-Control"]
    revalidated = client.get(PRODUCT, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    assert len(calls) == 1
    client.get(PRODUCT + "?variant=black-m")  # another URL: its own page
    assert len(calls) == 2


def test_a_publish_reaches_the_next_visitor(
    app: Flask, client: FlaskClient, lake: LakeHandle
) -> None:
    calls = count_views(app, "catalog.product")
    assert "Compost Happens" in client.get(PRODUCT).get_data(as_text=True)
    lake.mutate([{"patch": {"id": "product-compost-happens", "set": {"title": "Compost Later"}}}])
    after = client.get(PRODUCT)
    assert len(calls) == 2
    assert "Compost Later" in after.get_data(as_text=True)


def test_a_sale_reaches_the_next_visitor(app: Flask, client: FlaskClient) -> None:
    catalog = services(app).catalog
    calls = count_views(app, "catalog.product", warm=LIMITED)
    assert "only 3 left" in client.get(LIMITED).get_data(as_text=True)
    with services(app).db.session_scope(write=True) as session:
        session.add(
            StockCounter(product_id="product-rest-in-plastic", variant_key="white-m", limit=3)
        )
        session.execute(update(StockCounter).values(reserved=2))
    assert "only 3 left" in client.get(LIMITED).get_data(as_text=True)  # snapshot not due
    assert len(calls) == 1
    catalog.stock.interval = 0  # the snapshot is due: the counters are read again
    assert "only 1 left" in client.get(LIMITED).get_data(as_text=True)
    assert len(calls) == 2


def test_a_moderation_decision_reaches_the_next_visitor(app: Flask, client: FlaskClient) -> None:
    calls = count_views(app, "catalog.product")
    client.get(PRODUCT)
    board = services(app).reviews
    seen = board.version
    board._version = (seen[0] + 1, seen[1])  # what the next refresh finds after a decision
    board._checked_at = board.clock()  # and not read again before the page asks
    client.get(PRODUCT)
    assert len(calls) == 2


def test_a_page_is_not_kept_past_the_freshness_of_what_it_read(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = services(app).catalog.content
    calls = count_views(app, "catalog.product")
    client.get(PRODUCT)
    later = content.now() + 10 * 365 * 24 * 3600.0
    monkeypatch.setattr(content, "now", lambda: later)
    client.get(PRODUCT)
    assert len(calls) == 2


def test_nothing_is_kept_when_other_processes_change_the_content(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = services(app).catalog.content
    monkeypatch.setattr(content, "read_state", lambda: None)  # a cache shared through Redis
    calls = count_views(app, "catalog.product")
    client.get(PRODUCT)
    client.get(PRODUCT)
    assert len(calls) == 2


def test_a_visitor_with_a_cookie_always_gets_a_view_of_their_own(
    app: Flask, client: FlaskClient
) -> None:
    calls = count_views(app, "catalog.product")
    client.get(PRODUCT)
    other = app.test_client()
    other.set_cookie("sf_country", "GB")  # a chosen market: prices in pounds
    page = other.get(PRODUCT)
    assert len(calls) == 2
    assert "£" in page.get_data(as_text=True)
    assert "private" in page.headers["Cache-Control"]


def test_an_error_page_is_not_kept(app: Flask, client: FlaskClient) -> None:
    calls = count_views(app, "catalog.product")
    assert client.get("/products/no-such-shirt").status_code == 404
    assert client.get("/products/no-such-shirt").status_code == 404
    assert len(calls) == 2


def test_a_revalidation_answered_by_the_view_is_not_kept(app: Flask, client: FlaskClient) -> None:
    """A 304 has no page in it: the next visitor without a validator still gets the page."""
    cache = services(app).catalog.content.cache
    calls = count_views(app, "catalog.product")
    first = client.get(PRODUCT)
    cache.changes += 1  # the cache changed something this page did not read: the view runs
    revalidated = client.get(PRODUCT, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304  # and finds the same page
    again = client.get(PRODUCT)
    assert len(calls) == 3  # made again: nothing was kept from the 304
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
