"""The typed models parse every result of the shop's queries on the demo catalog."""

from flask import Flask

from cms_schema import projections as m
from storefront.catalog import queries as q
from storefront.container import services


def run(app: Flask, query: str, **params):  # type: ignore[no-untyped-def]
    return services(app).content.public.query(query, params)


def test_every_product_the_shop_reads_parses(app: Flask) -> None:
    slugs = [p["slug"] for p in run(app, '*[_type == "product"]{"slug": slug.current}')]
    assert len(slugs) >= 12
    for slug in slugs:
        detail = m.ProductDetail.model_validate(run(app, q.PRODUCT_BY_SLUG, slug=slug))
        assert detail.design.front is not None
        assert all(v.product_uid for v in detail.variants)
    listing = run(
        app,
        q.listing_query("featured"),
        category=None,
        colour=None,
        size=None,
        start=0,
        end=100,
    )
    cards = [m.ProductCard.model_validate(p) for p in listing["items"]]
    assert len(cards) == listing["total"] == len(slugs)
    every = run(app, q.listing_all_query("price-asc"), category=None, colour=None, size=None)
    titles = [m.ProductCard.model_validate(p).title for p in every]
    assert titles == sorted(c.title for c in cards)  # all of them, A-Z before the price sort
    assert [m.ProductCard.model_validate(p) for p in run(app, q.FEATURED)]


def test_settings_categories_pages_parse(app: Flask) -> None:
    settings = m.SiteSettings.model_validate(run(app, q.SITE_SETTINGS))
    assert settings.shop_name and settings.minimum_margin_percent > 0
    assert len([m.Category.model_validate(c) for c in run(app, q.CATEGORIES)]) == 3
    for slug in ("home", "about", "shipping", "returns", "privacy"):
        assert m.Page.model_validate(run(app, q.PAGE_BY_SLUG, slug=slug)).body
