"""A reported bug: after patching siteSettings in the lake, pages kept the old brand name —
the publish webhook dropped 0 cache entries, because the cached settings carried no
document id to be found by. Through the lake's own mutation API and its signed webhook."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

HTML = {"Accept": "text/html"}


def test_a_published_site_settings_patch_reaches_the_next_page(
    app: Flask, client: FlaskClient, lake
) -> None:  # type: ignore[no-untyped-def]
    assert "<span>Grim Cotton</span>" in client.get("/", headers=HTML).get_data(as_text=True)
    assert "<span>Grim Cotton</span>" in client.get("/", headers=HTML).get_data(as_text=True)

    lake.mutate([{"patch": {"id": "siteSettings", "set": {"shopName": "Grim Linen"}}}])

    [(status, answer)] = app.extensions["test_lake_deliveries"][-1:]
    assert status == 200 and answer["outcome"] == "invalidated"
    assert answer["entries"] >= 1  # was 0: nothing cached knew it came from siteSettings
    home = client.get("/", headers=HTML).get_data(as_text=True)
    assert "<span>Grim Linen</span>" in home
    assert '<meta property="og:site_name" content="Grim Linen">' in home
    assert "<span>Grim Cotton</span>" not in home  # (the home page's own SEO title is its own)
    listing = client.get("/shop", headers=HTML).get_data(as_text=True)
    assert "<span>Grim Linen</span>" in listing
