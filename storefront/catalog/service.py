"""The catalog as the shop sees it: products with prices and availability, resolved here.

Prices come from ``cms_schema.pricing`` (the one rule: variant override, else base price plus
size surcharge); availability from the inventory documents the sync job writes (no document
yet means Gelato has not said otherwise) and, for limited editions, from our stock counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from cms_schema.pricing import variant_price
from storefront.catalog import queries as q
from storefront.catalog.offers import Offer, OfferKey
from storefront.checkout.models import StockCounter
from storefront.content.service import ContentService
from storefront.db import get_db

PAGE_SIZE = 12
SIZE_ORDER = ["XS", "S", "M", "L", "XL", "2XL", "3XL"]


@dataclass(frozen=True)
class VariantView:
    key: str
    size: str
    colour: str
    product_uid: str
    price: int
    available: bool
    limited_left: int | None = None


@dataclass
class ProductView:
    id: str
    title: str
    slug: str
    currency: str
    raw: dict[str, Any]
    variants: list[VariantView] = field(default_factory=list)

    @property
    def price_from(self) -> int:
        prices = [v.price for v in self.variants if v.available] or [v.price for v in self.variants]
        return min(prices) if prices else int(self.raw.get("basePrice") or 0)

    @property
    def price_varies(self) -> bool:
        return len({v.price for v in self.variants}) > 1

    @property
    def sold_out(self) -> bool:
        return bool(self.variants) and not any(v.available for v in self.variants)

    @property
    def sizes(self) -> list[str]:
        sizes = {v.size for v in self.variants} or set(self.raw.get("sizes") or [])
        return sorted(sizes, key=lambda s: (SIZE_ORDER.index(s) if s in SIZE_ORDER else 99, s))

    @property
    def colours(self) -> list[dict[str, str]]:
        return list(self.raw.get("colours") or [])

    def variant(self, key: str) -> VariantView | None:
        return next((v for v in self.variants if v.key == key), None)

    def variant_for(self, size: str, colour: str) -> VariantView | None:
        return next((v for v in self.variants if v.size == size and v.colour == colour), None)


class Catalog:
    """Reads through :class:`ContentService` (cached, or drafts in preview)."""

    def __init__(self, app: Flask, content: ContentService) -> None:
        self.app, self.content = app, content

    # --- reads ------------------------------------------------------------------------------
    def _q(
        self,
        query: str,
        params: dict[str, Any] | None = None,
        *,
        types: Iterable[str],
        preview: bool = False,
        lookup: bool = False,
    ) -> Any:
        return self.content.query(query, params or {}, types=types, preview=preview, lookup=lookup)

    def site_settings(self, *, preview: bool = False) -> dict[str, Any]:
        return self._q(q.SITE_SETTINGS, types=("siteSettings",), preview=preview, lookup=True) or {}

    def categories(self, *, preview: bool = False) -> list[dict[str, Any]]:
        return self._q(q.CATEGORIES, types=("category",), preview=preview) or []

    def category(self, slug: str, *, preview: bool = False) -> dict[str, Any] | None:
        return self._q(
            q.CATEGORY_BY_SLUG, {"slug": slug}, types=("category",), preview=preview, lookup=True
        )

    def page(self, slug: str, *, preview: bool = False) -> dict[str, Any] | None:
        return self._q(
            q.PAGE_BY_SLUG, {"slug": slug}, types=("page",), preview=preview, lookup=True
        )

    def product(self, slug: str, *, preview: bool = False) -> ProductView | None:
        raw = self._q(
            q.PRODUCT_BY_SLUG, {"slug": slug}, types=("product",), preview=preview, lookup=True
        )
        return self._views([raw], preview=preview)[0] if raw else None

    def featured(self, *, preview: bool = False) -> list[ProductView]:
        return self._views(
            self._q(q.FEATURED, types=("product",), preview=preview) or [], preview=preview
        )

    def search(self, text: str, *, preview: bool = False) -> list[ProductView]:
        words = " ".join(w for w in text.split() if w)[:100]
        if not words:
            return []
        pattern = " ".join(f"{w}*" for w in words.split())
        raw = self._q(q.SEARCH, {"q": pattern}, types=("product", "design"), preview=preview)
        return self._views(raw or [], preview=preview)

    def listing(
        self,
        *,
        category_id: str | None = None,
        colour: str | None = None,
        size: str | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        sort: str = "featured",
        page: int = 1,
        preview: bool = False,
        page_size: int = PAGE_SIZE,
    ) -> tuple[list[ProductView], int]:
        start = (max(page, 1) - 1) * page_size
        params = {
            "category": category_id,
            "colour": colour,
            "size": size,
            "minPrice": min_price,
            "maxPrice": max_price,
            "start": start,
            "end": start + page_size,
        }
        result = self._q(q.listing_query(sort), params, types=("product",), preview=preview)
        result = result or {"items": [], "total": 0}
        return self._views(result["items"], preview=preview), int(result["total"])

    def document_path(self, doc_id: str) -> str | None:
        doc = self._q(q.DOCUMENT_ROUTE, {"id": doc_id}, types=(), preview=True)
        if not doc or not doc.get("slug"):
            return None
        prefix = {
            "product": "/products/",
            "category": "/shop/",
            "page": "/pages/",
            "design": None,
        }.get(doc["_type"])
        return f"{prefix}{doc['slug']}" if prefix else None

    # --- prices and availability ------------------------------------------------------------
    def _views(self, raws: Sequence[dict[str, Any]], *, preview: bool) -> list[ProductView]:
        uids = sorted(
            {v["productUid"] for r in raws for v in r.get("variants") or [] if v.get("productUid")}
        )
        inventory = {}
        if uids:
            rows = (
                self._q(q.INVENTORY_FOR, {"uids": uids}, types=("inventory",), preview=preview)
                or []
            )
            inventory = {row["productUid"]: bool(row.get("available")) for row in rows}
        limited = self._limited_left(
            [
                r["_id"]
                for r in raws
                if any(v.get("limitedQuantity") is not None for v in r.get("variants") or [])
            ]
        )
        views = []
        for raw in raws:
            view = ProductView(
                raw["_id"], raw["title"], raw["slug"], raw.get("currency") or "EUR", raw
            )
            for v in raw.get("variants") or []:
                uid = v.get("productUid") or ""
                left = None
                if v.get("limitedQuantity") is not None:
                    left = limited.get((raw["_id"], v["_key"]), int(v["limitedQuantity"]))
                available = bool(uid) and inventory.get(uid, True) and (left is None or left > 0)
                view.variants.append(
                    VariantView(
                        v["_key"],
                        v["size"],
                        v["colour"],
                        uid,
                        variant_price(raw, v),
                        available,
                        left,
                    )
                )
            views.append(view)
        return views

    def _limited_left(self, product_ids: list[str]) -> dict[tuple[str, str], int]:
        if not product_ids:
            return {}
        with get_db(self.app).session_scope() as session:
            rows = (
                session.execute(
                    select(StockCounter).where(StockCounter.product_id.in_(product_ids))
                )
                .scalars()
                .all()
            )
            return {(r.product_id, r.variant_key): max(r.limit - r.reserved, 0) for r in rows}

    # --- the cart's view of it ----------------------------------------------------------------
    def offers(self, keys: Iterable[OfferKey]) -> dict[OfferKey, Offer]:
        keys = list(keys)
        ids = sorted({pid for pid, _ in keys})
        if not ids:
            return {}
        raws = self._q(q.PRODUCTS_BY_IDS, {"ids": ids}, types=("product",), lookup=True) or []
        out: dict[OfferKey, Offer] = {}
        for view in self._views(raws, preview=False):
            design = view.raw.get("design") or {}
            files = {
                side: self.content.public.image_url(ref)
                for side, ref in (
                    ("front", design.get("printFront")),
                    ("back", design.get("printBack")),
                )
                if ref
            }
            image = design.get("front")
            for v in view.variants:
                if (view.id, v.key) not in keys:
                    continue
                out[(view.id, v.key)] = Offer(
                    product_id=view.id,
                    variant_key=v.key,
                    slug=view.slug,
                    title=view.title,
                    size=v.size,
                    colour=v.colour,
                    product_uid=v.product_uid,
                    unit_amount=v.price,
                    currency=view.currency,
                    available=v.available,
                    limited_quantity=(
                        int(
                            next(x for x in view.raw["variants"] if x["_key"] == v.key)[
                                "limitedQuantity"
                            ]
                        )
                        if v.limited_left is not None
                        else None
                    ),
                    image_url=self.content.public.image_url(image, w=192, h=192, fit="crop")
                    if image
                    else None,
                    print_files=files,
                )
        return out


def catalog(app: Flask) -> Catalog:
    return app.extensions["catalog"]
