"""Catalog endpoints of the JSON API: products (filter, sort, paginate), one product,
collections. Prices in minor units; availability as the shop page shows it."""

from __future__ import annotations

from typing import Literal

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field

from storefront.catalog.markets import Market
from storefront.catalog.services import ProductView
from storefront.container import services
from storefront.errors import BadRequest, NotFound
from storefront.web.api.framework import Page, PageQuery, page_of, v1
from storefront.web.shop.market import current_market, market_for_country

Sort = Literal["featured", "price-asc", "price-desc", "newest", "title"]


class MarketQuery(BaseModel):
    """``?country=&currency=``: whose prices to answer with."""

    model_config = ConfigDict(extra="ignore")

    country: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}$",
        description="Shipping country (ISO 3166-1 alpha-2): prices in its market's currency. "
        "Default: the caller's chosen country, else the first market. A country the shop "
        "does not ship to is a 404 naming the countries it ships to.",
    )
    currency: str | None = Field(
        None,
        pattern=r"^[A-Z]{3}$",
        description="Optional check: the currency the caller expects (ISO 4217). A 404 when "
        "the market sells in another one (there are no exchange rates).",
    )


def market_of(query: MarketQuery) -> Market:
    """The market the query asks for. A country no market sells to, or a currency the
    market does not sell in, has no prices to answer with: a 404 that says what to fix
    (the document cannot list the countries: markets are content)."""
    try:
        market = market_for_country(query.country) if query.country else current_market()
    except BadRequest as exc:
        raise NotFound(exc.message, code="unknown_country") from exc
    if query.currency and query.currency != market.currency:
        raise NotFound(
            f"Prices for {query.country or 'this market'} are in {market.currency}, "
            f"not {query.currency}; leave out currency or ask for another country.",
            code="currency_mismatch",
        )
    return market


class ProductQuery(PageQuery, MarketQuery):
    category: str | None = Field(None, description="Collection slug.")
    colour: str | None = None
    size: str | None = None
    min_price: int | None = Field(
        None, ge=0, description="Minor units, compared with `price_from` (as are the price sorts)."
    )
    max_price: int | None = Field(
        None, ge=0, description="Minor units, compared with `price_from` (as are the price sorts)."
    )
    sort: Sort = "featured"


class VariantOut(BaseModel):
    key: str
    size: str
    colour: str
    price: int = Field(description="Minor units.")
    available: bool
    limited_left: int | None = None


class RatingOut(BaseModel):
    average: float = Field(description="Mean of the approved reviews' stars, one decimal.")
    count: int = Field(description="Approved reviews.")
    label: str = Field(description='For people: "4.5 out of 5, 12 reviews".')


class ProductOut(BaseModel):
    id: str
    slug: str
    title: str
    currency: str
    market: str = Field(description="The market whose prices these are (its code).")
    sold_here: bool = Field(
        description="False when the product has no price in the market: not sold there."
    )
    price_from: int = Field(
        description="Minor units: the cheapest available variant's price (any variant's when "
        "all are sold out)."
    )
    sold_out: bool
    colours: list[str]
    sizes: list[str]
    url: str
    rating: RatingOut | None = Field(None, description="Null until a review is approved.")


class ProductDetailOut(ProductOut):
    description: str | None = None
    categories: list[str]
    variants: list[VariantOut]


class CategoryOut(BaseModel):
    slug: str
    title: str
    description: str | None = None


def _out(view: ProductView) -> ProductOut:
    summary = services().reviews.summary(view.id)
    return ProductOut(
        rating=RatingOut(average=summary.average, count=summary.count, label=summary.label)
        if summary
        else None,
        id=view.id,
        slug=view.slug,
        title=view.title,
        currency=view.currency,
        market=view.market.code if view.market else "*",
        sold_here=view.sold_here,
        price_from=view.price_from,
        sold_out=view.sold_out,
        colours=[c.get("name", "") for c in view.colours],
        sizes=view.sizes,
        url=url_for("catalog.product", slug=view.slug),
    )


@v1.get(
    "/products",
    query=ProductQuery,
    response=Page[ProductOut],
    access="public",
    errors=[404],
    summary="Products, filtered, sorted and paginated",
    tags=["catalog"],
)
def list_products(query: ProductQuery) -> Page[ProductOut]:
    cat = services().catalog
    category_id = None
    if query.category:
        category = cat.category(query.category)
        if category is None:
            raise NotFound(f"No collection {query.category!r}.")
        category_id = category["_id"]
    views, total = cat.listing(
        category_id=category_id,
        colour=query.colour,
        size=query.size,
        min_price=query.min_price,
        max_price=query.max_price,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
        market=market_of(query),
    )
    return page_of([_out(v) for v in views], total, query, ProductOut)


@v1.get(
    "/products/<slug>",
    query=MarketQuery,
    response=ProductDetailOut,
    access="public",
    errors=[404],
    summary="One product with its variants, prices and availability",
    tags=["catalog"],
)
def get_product(slug: str, query: MarketQuery) -> ProductDetailOut:
    view = services().catalog.product(slug, market=market_of(query))
    if view is None:
        raise NotFound(f"No product {slug!r}.")
    base = _out(view)
    return ProductDetailOut(
        **base.model_dump(),
        description=view.raw.get("description"),
        categories=[c["slug"] for c in view.raw.get("categories") or []],
        variants=[
            VariantOut(
                key=v.key,
                size=v.size,
                colour=v.colour,
                price=v.price,
                available=v.available,
                limited_left=v.limited_left,
            )
            for v in view.variants
        ],
    )


@v1.get(
    "/categories",
    response=list[CategoryOut],
    access="public",
    summary="Collections",
    tags=["catalog"],
)
def list_categories() -> list[CategoryOut]:
    cat = services().catalog
    return [
        CategoryOut(slug=c["slug"], title=c["title"], description=c.get("description"))
        for c in cat.categories()
    ]
