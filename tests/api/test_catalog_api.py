"""Catalog and newsletter endpoints of the JSON API over the demo catalog."""

from flask import Flask

from storefront.container import services


def test_products_filter_sort_paginate(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/api/v1/products?page_size=5&sort=price-asc").get_json()
    assert page["total"] >= 12
    assert len(page["items"]) == 5
    prices = [p["price_from"] for p in page["items"]]
    assert prices == sorted(prices)
    assert page["next"].startswith("/api/v1/products?")
    grim = client.get("/api/v1/products?category=gallows-humour&colour=Black").get_json()
    assert grim["items"]
    assert all("Black" in p["colours"] for p in grim["items"])
    missing = client.get("/api/v1/products?category=nope")
    assert missing.status_code == 404
    bad = client.get("/api/v1/products?page_size=1000")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"][0]["field"] == "page_size"


def test_one_product_and_categories(app: Flask) -> None:
    client = app.test_client()
    product = client.get("/api/v1/products/compost-happens").get_json()
    sizes = {v["size"]: v["price"] for v in product["variants"] if v["colour"] == "Black"}
    assert sizes["M"] == 2900
    assert sizes["2XL"] == 3200
    assert product["categories"] == ["compost-club"]
    assert client.get("/api/v1/products/nope").status_code == 404
    assert {c["slug"] for c in client.get("/api/v1/categories").get_json()} == {
        "gallows-humour",
        "climate-anxiety",
        "compost-club",
    }


def test_newsletter_subscribe(app: Flask) -> None:
    services(app).mail_delivery = "off"
    client = app.test_client(use_cookies=False)
    resp = client.post("/api/v1/newsletter", json={"email": "api@example.com"})
    assert resp.status_code == 202
    assert resp.get_json()["status"] == "pending"
    bad = client.post("/api/v1/newsletter", json={"email": "nope"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"][0]["field"] == "email"


def test_operator_subscribers_and_sync_trigger(app: Flask) -> None:
    from storefront.accounts import services as accounts
    from storefront.accounts import tokens
    from storefront.newsletter import services as newsletter

    with services(app).db.session_scope(write=True) as session:
        newsletter.sign_up(session, "list@example.com", source="t", confirm_link="x")
        op = accounts.register(session, "op2@example.com", "correct horse battery", role="operator")
        plain = tokens.create_token(session, op, role="operator", name="t").plaintext
    client = app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {plain}"}
    subs = client.get("/api/v1/operator/subscribers?q=List@example.com", headers=headers).get_json()
    assert [s["email"] for s in subs["items"]] == ["list@example.com"]
    assert client.get("/api/v1/operator/subscribers").status_code == 401
    started = client.post("/api/v1/operator/inventory-sync", headers=headers)
    assert started.status_code == 202
    assert started.get_json()["job"] == "inventory"
