"""The shop front: home, category listings, product pages, search, content pages, SEO."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, request, url_for
from flask.typing import ResponseReturnValue

from storefront.catalog import queries as q
from storefront.catalog.services import PAGE_SIZE, Catalog, ProductView
from storefront.container import services
from storefront.content.notes import note_dependency
from storefront.errors import BadRequest, NotFound
from storefront.money import CurrencyError, from_decimal
from storefront.reviews.board import ReviewBoard
from storefront.reviews.services import ShownReview, Summary
from storefront.web.auth import access
from storefront.web.httpcache import render_page, shared_cacheable
from storefront.web.shop.content import in_preview
from storefront.web.shop.market import current_market

bp = Blueprint("catalog", __name__)


def _cat() -> Catalog:
    return services().catalog


def _reviews() -> ReviewBoard:
    """The review board, noted as a dependency of the page: a moderation decision changes
    the page's ETag and its fragments' keys, so cached pages show it at once."""
    board = services().reviews
    decisions, newest = board.version
    note_dependency(("reviews", decisions, newest), updated=newest or None)
    return board


def _rating_ld(summary: Summary | None, shown: list[ShownReview]) -> dict[str, Any] | None:
    """schema.org ``aggregateRating`` and ``review`` of a Product, from approved reviews."""
    if summary is None:
        return None
    return {
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": summary.average,
            "reviewCount": summary.count,
            "bestRating": 5,
            "worstRating": 1,
        },
        "review": [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": r.display_name},
                "datePublished": r.written_at.date().isoformat(),
                "reviewBody": r.body,
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": r.rating,
                    "bestRating": 5,
                    "worstRating": 1,
                },
            }
            for r in shown[:10]
        ],
    }


def _price_param(name: str, currency: str) -> int | None:
    """A price filter typed in the market's currency; a 400 saying what is wrong with it."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return max(from_decimal(raw, currency), 0)
    except CurrencyError as exc:
        problem = str(exc)
    except (ArithmeticError, ValueError):
        problem = f"{raw!r} is not an amount"
    raise BadRequest(
        f"{name}: {problem}. Type an amount in {currency}, e.g. 25 or 25.50.",
        code="invalid_amount",
    )


@bp.get("/")
@access("public")
@shared_cacheable()
def home() -> ResponseReturnValue:
    preview = in_preview()
    cat = _cat()
    return render_page(
        "catalog/home.html",
        settings=cat.site_settings(preview=preview),
        featured=cat.featured(preview=preview, market=current_market()),
        categories=cat.categories(preview=preview),
        page=cat.page("home", preview=preview),
        ratings=_reviews().summaries(),
    )


@bp.get("/shop")
@bp.get("/shop/<slug>")
@access("public")
@shared_cacheable()
def listing(slug: str | None = None) -> ResponseReturnValue:
    preview = in_preview()
    cat = _cat()
    category = None
    if slug is not None:
        category = cat.category(slug, preview=preview)
        if category is None:
            raise NotFound("We have no such collection (yet).")
    sort = request.args.get("sort", "featured")
    sort = sort if sort in q.SORTS else "featured"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    colour = request.args.get("colour") or None
    size = request.args.get("size") or None
    market = current_market()
    products, total = cat.listing(
        category_id=category["_id"] if category else None,
        colour=colour,
        size=size,
        min_price=_price_param("min", market.currency),
        max_price=_price_param("max", market.currency),
        sort=sort,
        page=page,
        preview=preview,
        market=market,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages and total:
        raise NotFound("That page of the collection does not exist.")
    filters = {
        "colour": colour or "",
        "size": size or "",
        "min": request.args.get("min", ""),
        "max": request.args.get("max", ""),
        "sort": sort,
    }
    return render_page(
        "catalog/listing.html",
        category=category,
        products=products,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        sorts=list(q.SORTS),
        categories=cat.categories(preview=preview),
        ratings=_reviews().summaries(),
    )


@bp.get("/products/<slug>")
@access("public")
@shared_cacheable(last_modified=True)
def product(slug: str) -> ResponseReturnValue:
    preview = in_preview()
    view = _cat().product(slug, preview=preview, market=current_market())
    if view is None:
        raise NotFound("That shirt is not in the shop (anymore).")
    chosen = view.variant(request.args.get("variant", "")) or next(
        (v for v in view.variants if v.available), view.variants[0] if view.variants else None
    )
    board = _reviews()
    summary, shown = board.summary(view.id), board.shown(view.id)
    return render_page(
        "catalog/product.html",
        product=view,
        chosen=chosen,
        rating=summary,
        reviews=shown,
        rating_ld=_rating_ld(summary, shown),
        size_guide=_size_guide(view, preview=preview),
    )


def _size_guide(view: ProductView, *, preview: bool) -> dict[str, Any] | None:
    """The size guide of the garment ``view`` is printed on (its Gelato family), if any."""
    family = str(view.raw.get("gelatoFamily") or "")
    return _cat().size_guide(family, preview=preview) if family else None


@bp.get("/products/<slug>/size-guide")
@access("public")
@shared_cacheable(last_modified=True)
def size_guide(slug: str) -> ResponseReturnValue:
    preview = in_preview()
    view = _cat().product(slug, preview=preview)
    if view is None:
        raise NotFound("That shirt is not in the shop (anymore).")
    guide = _size_guide(view, preview=preview)
    if guide is None:
        raise NotFound("We have no size guide for this shirt yet; write to us and we measure it.")
    return render_page("catalog/size_guide.html", product=view, guide=guide)


@bp.get("/search")
@access("public")
@shared_cacheable()
def search() -> ResponseReturnValue:
    text = request.args.get("q", "").strip()[:100]
    results = _cat().search(text, preview=in_preview(), market=current_market()) if text else []
    return render_page(
        "catalog/search.html", q=text, results=results, ratings=_reviews().summaries()
    )


@bp.get("/pages/<slug>")
@access("public")
@shared_cacheable(last_modified=True)
def page(slug: str) -> ResponseReturnValue:
    doc = _cat().page(slug, preview=in_preview())
    if doc is None:
        raise NotFound("We could not find that page.")
    return render_page("catalog/page.html", page=doc)


@bp.get("/sitemap.xml")
@access("public")
@shared_cacheable()
def sitemap() -> ResponseReturnValue:
    data = _cat().content.query(q.SITEMAP, {}, types=("product", "category", "page")) or {}
    base = services().settings.base_url
    urls: list[dict[str, Any]] = [{"loc": base + "/", "lastmod": None}]
    for kind, prefix in (
        ("categories", "/shop/"),
        ("products", "/products/"),
        ("pages", "/pages/"),
    ):
        for doc in data.get(kind) or []:
            if doc.get("slug"):
                urls.append(
                    {
                        "loc": f"{base}{prefix}{doc['slug']}",
                        "lastmod": (doc.get("_updatedAt") or "")[:10] or None,
                    }
                )
    return render_page("catalog/sitemap.xml", mimetype="application/xml", urls=urls)


@bp.get("/robots.txt")
@access("public")
@shared_cacheable()
def robots() -> ResponseReturnValue:
    base = services().settings.base_url
    lines = [
        "User-agent: *",
        "Disallow: /cart",
        "Disallow: /checkout",
        "Disallow: /account",
        "Disallow: /admin",
        "Disallow: /orders/",
        "Disallow: /preview/",
        f"Sitemap: {base}{url_for('catalog.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def init_app(app: Flask) -> None:

    app.register_blueprint(bp)
