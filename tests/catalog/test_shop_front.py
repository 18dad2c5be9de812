"""The shop front over the content lake with the demo catalog: pages, publish-to-live
(webhook, and the sweep when the webhook is lost), preview, and the cart's view of changes."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.container import services
from storefront.inbox.models import WebhookEvent
from storefront.web.shop.content import preview_url
from sync.registry import load_jobs
from sync.runner import run_job
from tests.support.lake import LakeHandle

HTML = {"Accept": "text/html"}


def csrf(client: FlaskClient, path: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert m
    return m.group(1)


def test_home_listing_product_search_and_pages(client: FlaskClient) -> None:
    home = client.get("/").get_data(as_text=True)
    assert "Shirts for a planet that is (mostly) fine." in home
    assert "Compost Happens" in home
    listing = client.get("/shop/compost-club?colour=Natural&sort=price-asc")
    assert listing.status_code == 200
    body = listing.get_data(as_text=True)
    assert "Worm Appreciation Society" in body
    assert "Skeleton Gardener" not in body  # another collection
    product = client.get("/products/compost-happens").get_data(as_text=True)
    assert "€32.00" in product  # the 2XL surcharge, per variant
    assert 'srcset="' in product and " 960w" in product
    assert '"@type":"Product"' in product
    assert '<link rel="canonical" href="http://127.0.0.1:8000/products/compost-happens">' in product
    assert "Why it is less bad" in product
    search = client.get("/search?q=worm").get_data(as_text=True)
    assert "Worm Appreciation Society" in search
    page = client.get("/pages/returns").get_data(as_text=True)
    assert 'href="mailto:hello@grimcotton.example"' in page
    assert client.get("/products/no-such-shirt", headers=HTML).status_code == 404
    assert client.get("/shop/no-such-collection", headers=HTML).status_code == 404
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "/products/rest-in-plastic" in sitemap
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in client.get("/robots.txt").get_data(
        as_text=True
    )


def test_publish_reaches_the_next_page_view(
    app: Flask, client: FlaskClient, lake: LakeHandle
) -> None:
    assert "Compost Happens" in client.get("/products/compost-happens").get_data(as_text=True)
    lake.mutate(
        [{"patch": {"id": "product-compost-happens", "set": {"title": "Compost Happens Anyway"}}}]
    )
    assert "Compost Happens Anyway" in client.get("/products/compost-happens").get_data(
        as_text=True
    )
    with services(app).db.session_scope() as session:
        events = session.execute(select(WebhookEvent.provider)).scalars().all()
    assert "sanity" in events


def test_a_lost_webhook_is_caught_by_the_sweep(
    app: Flask, client: FlaskClient, lake: LakeHandle
) -> None:
    load_jobs()
    assert "The Planet Is Fine" in client.get("/products/the-planet-is-fine").get_data(as_text=True)
    lake.webhooks.drop_next(5)
    lake.mutate(
        [{"patch": {"id": "product-the-planet-is-fine", "set": {"title": "The Planet Is On Fire"}}}]
    )
    stale = client.get("/products/the-planet-is-fine").get_data(as_text=True)
    assert "The Planet Is On Fire" not in stale  # cached, and nobody told us
    dry = run_job(app, "content-sweep", dry_run=True)
    assert dry.ok
    services(app).content.follower.poll(force=True)
    assert "The Planet Is On Fire" not in client.get("/products/the-planet-is-fine").get_data(
        as_text=True
    )
    result = run_job(app, "content-sweep")
    assert result.ok
    assert result.counts.changed >= 1
    services(app).content.follower.poll(force=True)
    assert "The Planet Is On Fire" in client.get("/products/the-planet-is-fine").get_data(
        as_text=True
    )
    again = run_job(app, "content-sweep")
    assert again.ok
    assert again.counts.changed == 0


def test_drafts_only_in_preview(app: Flask, client: FlaskClient, lake: LakeHandle) -> None:
    lake.mutate(
        [
            {
                "createOrReplace": {
                    **lake.store.get("product-rest-in-plastic"),
                    "_id": "drafts.product-rest-in-plastic",
                    "title": "Rest In Plastic (draft)",
                }
            }
        ]
    )
    assert "(draft)" not in client.get("/products/rest-in-plastic").get_data(as_text=True)
    link = preview_url(app, "drafts.product-rest-in-plastic").removeprefix("http://127.0.0.1:8000")
    opened = client.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"] == "/products/rest-in-plastic"
    page = client.get("/products/rest-in-plastic").get_data(as_text=True)
    assert "Rest In Plastic (draft)" in page
    assert "Preview: you are seeing drafts" in page
    visitor = app.test_client()
    assert "(draft)" not in visitor.get("/products/rest-in-plastic").get_data(as_text=True)
    client.get("/preview/exit")
    assert "(draft)" not in client.get("/products/rest-in-plastic").get_data(as_text=True)
    assert client.get("/preview/start/forged-token", headers=HTML).status_code == 404


def test_unavailable_variant_cannot_be_added(
    app: Flask, client: FlaskClient, lake: LakeHandle
) -> None:
    uid = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"
    lake.mutate(
        [
            {
                "create": {
                    "_id": f"inventory-{uid}",
                    "_type": "inventory",
                    "productUid": uid,
                    "available": False,
                }
            }
        ]
    )
    page = client.get("/products/extinct-is-forever?variant=black-m").get_data(as_text=True)
    assert re.search(r'value="black-m"[^>]*disabled', page)
    resp = client.post(
        "/cart/add",
        data={
            "csrf_token": csrf(client, "/cart"),
            "product_id": "product-extinct-is-forever",
            "variant_key": "black-m",
            "quantity": "1",
        },
        headers=HTML,
    )
    assert resp.status_code == 409
    assert "sold out" in resp.get_data(as_text=True)


def test_price_change_in_the_cms_shows_in_the_cart(client: FlaskClient, lake: LakeHandle) -> None:
    client.post(
        "/cart/add",
        data={
            "csrf_token": csrf(client, "/cart"),
            "product_id": "product-doom-scroll-detox",
            "variant_key": "black-m",
            "quantity": "2",
        },
    )
    assert "€58.00" in client.get("/cart").get_data(as_text=True)
    lake.mutate([{"patch": {"id": "product-doom-scroll-detox", "set": {"basePrice": 3500}}}])
    cart = client.get("/cart").get_data(as_text=True)
    assert "changed from €29.00 to €35.00" in cart
    assert "€70.00" in cart
    assert "changed from" not in client.get("/cart").get_data(as_text=True)  # told once
