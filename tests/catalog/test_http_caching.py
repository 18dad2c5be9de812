"""HTTP caching of the shop front (storefront/web/httpcache.py): ETags and 304s, Cache-Control for
a CDN in front of the shop, pages that depend on the visitor never shared, tokenless forms
on shared pages, and a publish that changes the ETag at once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest
from flask import Flask, Response, flash, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import update

from emulators.common import LiveServer
from storefront.container import services
from storefront.stock.models import StockCounter
from storefront.web.auth import access
from storefront.web.httpcache import newest_update, render_page, shared_cacheable
from storefront.web.shop.content import preview_url
from tests.api.conftest import log_in, make_account
from tests.support.lake import LakeHandle

CATALOG_PAGES = [
    "/",
    "/shop",
    "/shop/gallows-humour?colour=Black&sort=price-asc",
    "/products/compost-happens",
    "/products/compost-happens?variant=black-m",
    "/search?q=worm",
    "/pages/returns",
    "/sitemap.xml",
]
PRODUCT = "/products/rest-in-plastic"  # a limited edition
ORIGIN = {"Origin": "http://localhost"}  # what a browser sends with a form from our page


def shared(cache_control: str) -> bool:
    return "public" in cache_control or "s-maxage" in cache_control


def private(response) -> bool:  # type: ignore[no-untyped-def]
    cc = response.headers.get("Cache-Control", "")
    return "private" in cc and "no-store" in cc and not shared(cc)


def add_to_cart(client: FlaskClient, token: str | None = None) -> None:
    data = {"product_id": "product-compost-happens", "variant_key": "black-m", "quantity": "1"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/cart/add", data=data, headers=ORIGIN)
    assert response.status_code == 303, response.get_data(as_text=True)


@pytest.mark.parametrize("path", CATALOG_PAGES)
def test_anonymous_pages_are_shared_with_validators(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    cc = first.headers["Cache-Control"]
    assert "public" in cc and "s-maxage=" in cc and "stale-while-revalidate=" in cc
    assert "Cookie" in first.headers.get("Vary", "")
    assert "Set-Cookie" not in first.headers  # nothing about this visitor was kept
    assert 'name="csrf_token"' not in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert shared(again.headers["Cache-Control"])
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.get_data() == first.get_data()


@pytest.mark.parametrize("path", ["/products/compost-happens", "/pages/returns"])
def test_document_pages_answer_if_modified_since(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    last_modified = first.headers["Last-Modified"]
    assert first.last_modified is not None
    assert first.last_modified <= datetime.now(UTC)
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(path, headers={"If-Modified-Since": older}).status_code == 200
    # an ETag that no longer matches wins over a date that does
    stale = {"If-Modified-Since": last_modified, "If-None-Match": '"old"'}
    assert client.get(path, headers=stale).status_code == 200


def test_last_modified_is_the_newest_update_and_never_in_the_future() -> None:
    assert newest_update(["2026-01-02T03:04:05Z", "2025-12-31T00:00:00.5Z", "junk"]) == (
        "Fri, 02 Jan 2026 03:04:05 GMT"
    )
    assert newest_update([]) is None
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    assert parsedate_to_datetime(newest_update([future])) <= datetime.now(UTC)  # type: ignore[arg-type]


def test_head_and_404(client: FlaskClient) -> None:
    head = client.head("/products/compost-happens")
    assert head.status_code == 200 and "ETag" in head.headers
    missing = client.get("/products/no-such-shirt", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert private(missing)


def test_logged_in_visitors_get_private_pages(app: Flask, client: FlaskClient) -> None:
    log_in(client, make_account(app, "ada@example.com"))
    for path in CATALOG_PAGES:
        response = client.get(path)
        assert response.status_code == 200
        assert private(response), path
        assert "ETag" not in response.headers
        assert client.get(path, headers={"If-None-Match": "*"}).status_code == 200
    page = client.get("/products/compost-happens").get_data(as_text=True)
    assert "Account</a>" in page
    assert re.search(r'name="csrf_token" value="[^"]+"', page)  # their own token, privately


def test_a_cart_and_a_flash_message_make_pages_private(client: FlaskClient) -> None:
    add_to_cart(client)  # a first-time visitor: the shared page's form has no token
    with_flash = client.get("/products/compost-happens")
    body = with_flash.get_data(as_text=True)
    assert "Added 1 × Compost Happens" in body  # the flash message, shown once
    assert private(with_flash)
    after = client.get("/products/compost-happens")
    body = after.get_data(as_text=True)
    assert "Added 1 ×" not in body
    assert 'aria-label="1 shirt in your cart"' in body
    assert private(after)
    assert re.search(r'name="csrf_token" value="[^"]+"', body)


def test_preview_pages_are_private(app: Flask, client: FlaskClient) -> None:
    link = preview_url(app, "product-compost-happens").removeprefix("http://127.0.0.1:8000")
    client.get(link)
    page = client.get("/products/compost-happens")
    assert "Preview: you are seeing drafts" in page.get_data(as_text=True)
    assert private(page)


def test_bearer_requests_are_never_shared(client: FlaskClient) -> None:
    response = client.get("/products/compost-happens", headers={"Authorization": "Bearer x"})
    assert private(response)


def test_shared_fragments_never_carry_one_visitors_page_to_another(
    app: Flask, client: FlaskClient
) -> None:
    """The product page's content is rendered once and reused; the token, the cart and the
    account link around it are each visitor's own."""
    log_in(client, make_account(app, "ada@example.com"))
    page = client.get("/products/compost-happens").get_data(as_text=True)
    own = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert own
    add_to_cart(client, own.group(1))
    client.get("/cart")  # the flash message is shown there
    mine = client.get("/products/compost-happens").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', mine)
    assert token and 'aria-label="1 shirt in your cart"' in mine
    stranger = app.test_client().get("/products/compost-happens")
    theirs = stranger.get_data(as_text=True)
    assert token.group(1) not in theirs and 'name="csrf_token"' not in theirs
    assert 'aria-label="0 shirts in your cart"' in theirs and "Log in</a>" in theirs
    assert shared(stranger.headers["Cache-Control"])
    assert content(mine) == content(theirs)  # the same content, around each visitor's parts
    again = client.get("/products/compost-happens").get_data(as_text=True)
    assert 'name="csrf_token"' in again and "Account</a>" in again


def content(page: str) -> str:
    """The product's own part of a page, without the form's CSRF token."""
    part = page.split('<nav class="breadcrumbs"')[1].split("</article>")[0]
    return re.sub(r"\s+", " ", re.sub(r'<input type="hidden" name="csrf_token"[^>]*>', "", part))


def test_tokenless_posts_need_our_origin_and_no_session(app: Flask) -> None:
    data = {"product_id": "product-compost-happens", "variant_key": "black-m", "quantity": "1"}
    html = {"Accept": "text/html"}
    for headers in (
        {},  # nothing says where the post comes from
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        response = app.test_client().post("/cart/add", data=data, headers={**html, **headers})
        assert response.status_code == 400, headers
        assert "expired or was sent from elsewhere" in response.get_data(as_text=True)
    for headers in (
        ORIGIN,
        {"Origin": "http://127.0.0.1:8000"},  # BASE_URL's origin (behind a proxy)
        {"Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://localhost/products/compost-happens"},
    ):
        assert app.test_client().post("/cart/add", data=data, headers=headers).status_code == 303
    # a visitor with a session has a token to lose: our origin alone is not enough
    holder = app.test_client()
    add_to_cart(holder)
    refused = holder.post("/cart/add", data=data, headers={**html, **ORIGIN})
    assert refused.status_code == 400


def test_a_sold_out_limited_edition_changes_the_page(app: Flask, client: FlaskClient) -> None:
    catalog = services(app).catalog
    catalog.stock.interval = 0  # read the counters on every view (normally once a second)
    first = client.get(PRODUCT)
    assert "only 3 left" in first.get_data(as_text=True)
    with services(app).db.session_scope(write=True) as session:
        session.add(
            StockCounter(product_id="product-rest-in-plastic", variant_key="white-m", limit=3)
        )
    with services(app).db.session_scope(write=True) as session:
        session.execute(update(StockCounter).values(reserved=StockCounter.limit))
    later = client.get(PRODUCT + "?variant=white-m")
    assert later.status_code == 200
    body = later.get_data(as_text=True)
    assert re.search(r'value="white-m"[^>]*disabled', body)
    page = client.get(PRODUCT, headers={"If-None-Match": first.headers["ETag"]})
    assert page.status_code == 200  # the stock is part of the page


def test_a_known_page_is_answered_without_rendering(client: FlaskClient) -> None:
    """The ETag is a digest of what the page is built from: a match is a 304, and an
    anonymous visitor without one gets the page rendered for the first, not a new render."""
    first = client.get("/shop/gallows-humour")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')  # known before rendering: weak
    rendered: list[str] = []

    def record(sender, template, context, **extra):  # type: ignore[no-untyped-def]
        rendered.append(template.name)

    with template_rendered.connected_to(record):
        assert (
            client.get("/shop/gallows-humour", headers={"If-None-Match": etag}).status_code == 304
        )
        again = client.get("/shop/gallows-humour")
        assert rendered == []
        assert again.status_code == 200
        assert again.get_data() == first.get_data()
        assert again.headers["ETag"] == etag
        other = client.get("/shop/gallows-humour?sort=price-asc")  # another URL, another page
        assert rendered == ["catalog/listing.html"]
        assert other.headers["ETag"] != etag


def test_a_visitor_with_a_session_never_gets_the_kept_page(app: Flask, client: FlaskClient) -> None:
    anonymous = client.get("/products/compost-happens").get_data(as_text=True)
    assert 'name="csrf_token"' not in anonymous
    holder = app.test_client()
    add_to_cart(holder)  # now has a session
    mine = holder.get("/products/compost-happens")
    assert private(mine)
    assert 'name="csrf_token"' in mine.get_data(as_text=True)  # rendered for them


def test_a_page_whose_render_touched_the_session_is_not_kept(app: Flask) -> None:
    """A request that stored something for the visitor (here a flash) made a page for one
    visitor: it is private, and the next anonymous visitor gets a render of their own."""

    @app.get("/test/touches-session")
    @access("public")
    @shared_cacheable()
    def touches() -> Response:
        flash("for you only")
        return render_page("catalog/page.html", page={"title": "Just for you", "body": []})

    renders: list[str] = []

    def record(sender, template, context, **extra):  # type: ignore[no-untyped-def]
        renders.append(template.name)

    with template_rendered.connected_to(record):
        first = app.test_client().get("/test/touches-session")
        second = app.test_client().get("/test/touches-session")
    assert first.status_code == second.status_code == 200
    assert private(first) and private(second)
    assert renders == ["catalog/page.html", "catalog/page.html"]


def test_a_refresh_without_a_webhook_reaches_the_page(
    app: Flask, client: FlaskClient, lake: LakeHandle
) -> None:
    """Lost webhook: the cached result ages out and is loaded again; the page follows."""
    etag = client.get("/products/compost-happens").headers["ETag"]
    lake.webhooks.drop_next(5)
    lake.mutate([{"patch": {"id": "product-compost-happens", "set": {"title": "Compost Again"}}}])
    cached = client.get("/products/compost-happens", headers={"If-None-Match": etag})
    assert cached.status_code == 304  # nobody told us: the cached result still holds
    cache = services(app).content.cache
    cache.clock = lambda: time.time() + 100_000  # every entry is past its stale window
    fresh = client.get("/products/compost-happens", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert "Compost Again" in fresh.get_data(as_text=True)


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    with LiveServer(app) as live:
        yield live.url


def test_through_http_a_publish_changes_the_etag_at_once(server: str, lake: LakeHandle) -> None:
    """A real server and client: 304 while nothing changed; the editor publishes (the lake's
    signed webhook invalidates the cache); the next conditional GET gets 200 and the news."""
    url = server + "/products/compost-happens"
    with httpx.Client(timeout=10) as http:
        first = http.get(url)
        assert first.status_code == 200
        assert "public" in first.headers["cache-control"]
        assert "set-cookie" not in first.headers
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert http.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        lake.mutate(
            [
                {
                    "patch": {
                        "id": "product-compost-happens",
                        "set": {"title": "Compost Happens Anyway"},
                    }
                }
            ]
        )
        after = http.get(url, headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert "Compost Happens Anyway" in after.text
        assert after.headers["etag"] != etag
        assert http.get(url, headers={"If-Modified-Since": modified}).status_code == 200
        assert http.get(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304
        # the listing that shows the product changed too
        listing = http.get(server + "/shop/compost-club")
        assert "Compost Happens Anyway" in listing.text


def test_through_http_a_shared_page_posts_without_a_token(server: str) -> None:
    """What a browser does with a page a CDN served: no token, its Origin header, 303."""
    with httpx.Client(timeout=10) as http:
        page = http.get(server + "/products/compost-happens")
        assert 'name="csrf_token"' not in page.text
        data = {"product_id": "product-compost-happens", "variant_key": "black-m"}
        posted = http.post(server + "/cart/add", data=data, headers={"Origin": server})
        assert posted.status_code == 303
        cart = http.get(server + "/cart")
        assert "Compost Happens" in cart.text
        assert "private" in cart.headers["cache-control"]
        mine = http.get(server + "/products/compost-happens")
        assert "private" in mine.headers["cache-control"]
        assert 'name="csrf_token"' in mine.text
        forged = http.post(
            server + "/cart/add", data=data, headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 400
