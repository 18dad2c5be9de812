"""The catalog as the shop sees it: products with prices and availability, resolved here.

Prices come from ``cms_schema.pricing`` (the one rule: variant override, else base price plus
size surcharge); availability from the inventory documents the sync job writes (no document
yet means Gelato has not said otherwise) and, for limited editions, from our stock counters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from cms_schema.pricing import market_variant_price, variant_price
from storefront.catalog import queries as q
from storefront.catalog.markets import (
    LEGACY,
    Market,
    default_market,
    market_for_country,
    markets_from,
)
from storefront.catalog.mockups import Garment, garment_for, mockup_path
from storefront.catalog.offers import Offer, OfferKey
from storefront.catalog.stockview import StockSnapshot, read_counters
from storefront.content.notes import (
    BoundedMemo,
    Notes,
    capture_notes,
    note_dependency,
    replay_notes,
)
from storefront.content.services import ContentService
from storefront.db import Database

PAGE_SIZE = 12
#: The sorts by "from" price, and whether highest first.
PRICE_SORTS = {"price-asc": False, "price-desc": True}
SIZE_ORDER = ["XS", "S", "M", "L", "XL", "2XL", "3XL"]
R = TypeVar("R")
P = ParamSpec("P")


def _memoized(
    read: Callable[Concatenate[Catalog, P], R],
) -> Callable[Concatenate[Catalog, P], R]:
    """A published read of the catalog, computed once while nothing it could depend on
    changed — this process's content cache, the invalidation log, the stock snapshot (see
    :meth:`ContentService.read_state`) — and while the results it read are fresh (after
    that it reads again, so the cache's refresh and stale-while-revalidate still apply).
    What it noted for the page (content versions, stock) is noted again on every call.
    Previews, and caches other processes change, are read every time."""

    @functools.wraps(read)
    def wrapper(self: Catalog, /, *args: P.args, **kwargs: P.kwargs) -> R:
        state = None if kwargs.get("preview") else self.content.read_state()
        if state is None:
            return read(self, *args, **kwargs)
        self.stock.counts()  # read the table again if the snapshot is due
        named = tuple(sorted((k, v) for k, v in kwargs.items() if k != "preview"))
        key = (read.__name__, args, named, state, self.stock.reads)
        memo: tuple[R, Notes] | None = self._memo.peek(key)
        if memo is not None and self.content.now() < memo[1].fresh_until:
            replay_notes(memo[1])
            return memo[0]
        result, notes = capture_notes(lambda: read(self, *args, **kwargs))
        self._memo.put(key, (result, notes))
        return result

    return wrapper


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
    #: The market the prices are for (``None``: the product's own price and currency).
    market: Market | None = None

    @property
    def sold_here(self) -> bool:
        """Whether any variant has a price in the market (else the product is not sold in
        it: ``cms_schema.pricing``)."""
        return bool(self.variants)

    @property
    def price_from(self) -> int:
        prices = [v.price for v in self.variants if v.available] or [v.price for v in self.variants]
        if prices:
            return min(prices)
        return int(self.raw.get("basePrice") or 0) if self.market is None else 0

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
    """Reads through :class:`ContentService` (cached, or drafts in preview).

    Product views are built once per version of the content they come from (the GROQ
    results' versions and the stock counters shown) and shared by the requests that follow;
    they are not changed after they are built.
    """

    def __init__(self, db: Database, content: ContentService) -> None:
        self.db, self.content = db, content
        self._memo = BoundedMemo(max_entries=2000)
        self.stock = StockSnapshot(db)
        content.invalidation_listeners.append(self._memo.clear)

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

    @_memoized
    def site_settings(self, *, preview: bool = False) -> dict[str, Any]:
        return self._q(q.SITE_SETTINGS, types=("siteSettings",), preview=preview, lookup=True) or {}

    @_memoized
    def categories(self, *, preview: bool = False) -> list[dict[str, Any]]:
        return self._q(q.CATEGORIES, types=("category",), preview=preview) or []

    @_memoized
    def category(self, slug: str, *, preview: bool = False) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._q(
            q.CATEGORY_BY_SLUG, {"slug": slug}, types=("category",), preview=preview, lookup=True
        )
        return found

    @_memoized
    def page(self, slug: str, *, preview: bool = False) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._q(
            q.PAGE_BY_SLUG, {"slug": slug}, types=("page",), preview=preview, lookup=True
        )
        return found

    @_memoized
    def markets(self, *, preview: bool = False) -> tuple[Market, ...]:
        """The markets in switcher order (none: the legacy single market, see
        :mod:`storefront.catalog.markets`)."""
        return markets_from(self._q(q.MARKETS, types=("market",), preview=preview) or [])

    def market_for(self, country: str | None) -> Market:
        """The market of ``country``, or the default one when there is none; raises
        :class:`~storefront.catalog.markets.UnknownCountry` for a country nobody sells to."""
        markets = self.markets()
        if not country:
            return default_market(markets)
        return market_for_country(markets, country)

    @_memoized
    def product(
        self, slug: str, *, preview: bool = False, market: Market | None = None
    ) -> ProductView | None:
        raw, version = self.content.query_versioned(
            q.PRODUCT_BY_SLUG, {"slug": slug}, types=("product",), preview=preview, lookup=True
        )
        if not raw:
            return None
        return self._views([raw], preview=preview, version=version, market=market)[0]

    @_memoized
    def size_guide(self, family: str, *, preview: bool = False) -> dict[str, Any] | None:
        """The measurements of the garment a product is printed on (its Gelato family),
        sizes in the shop's order."""
        found: dict[str, Any] | None = self._q(
            q.SIZE_GUIDE, {"family": family}, types=("sizeGuide",), preview=preview, lookup=True
        )
        if found and found.get("measurements"):
            found = {
                **found,
                "measurements": sorted(
                    found["measurements"],
                    key=lambda m: (
                        SIZE_ORDER.index(m["size"]) if m.get("size") in SIZE_ORDER else 99
                    ),
                ),
            }
        return found

    @_memoized
    def garment(self, product_id: str, colour: str, side: str) -> Garment | None:
        """What the picture of a published product in ``colour`` is made of."""
        raw = self._q(q.GARMENT, {"id": product_id}, types=("product", "design"), lookup=True)
        return garment_for(raw, colour, side) if raw else None

    @_memoized
    def featured(self, *, preview: bool = False, market: Market | None = None) -> list[ProductView]:
        raws, version = self.content.query_versioned(
            q.FEATURED, {}, types=("product",), preview=preview
        )
        return self._views(raws or [], preview=preview, version=version, market=market)

    @_memoized
    def search(
        self, text: str, *, preview: bool = False, market: Market | None = None
    ) -> list[ProductView]:
        words = " ".join(w for w in text.split() if w)[:100]
        if not words:
            return []
        pattern = " ".join(f"{w}*" for w in words.split())
        raw = self._q(q.SEARCH, {"q": pattern}, types=("product", "design"), preview=preview)
        return self._views(raw or [], preview=preview, market=market)

    @_memoized
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
        market: Market | None = None,
    ) -> tuple[list[ProductView], int]:
        """One page of a listing and the number of products in it.

        Price filters and sorts use :attr:`ProductView.price_from` — what the card shows and
        the shopper pays, from the variants' prices (``cms_schema.pricing``) and availability
        — so they are applied here to every product the other filters let through; without
        them GROQ returns just the page.
        """
        start = (max(page, 1) - 1) * page_size
        params: dict[str, Any] = {"category": category_id, "colour": colour, "size": size}
        if min_price is None and max_price is None and sort not in PRICE_SORTS:
            params |= {"start": start, "end": start + page_size}
            result, version = self.content.query_versioned(
                q.listing_query(sort), params, types=("product",), preview=preview
            )
            result = result or {"items": [], "total": 0}
            views = self._views(result["items"], preview=preview, version=version, market=market)
            return views, int(result["total"])
        raws, version = self.content.query_versioned(
            q.listing_all_query(sort), params, types=("product",), preview=preview
        )
        views = [
            v
            for v in self._views(raws or [], preview=preview, version=version, market=market)
            if (v.sold_here or v.market is None)  # not sold in the market: nothing to compare
            and (min_price is None or v.price_from >= min_price)
            and (max_price is None or v.price_from <= max_price)
        ]
        if sort in PRICE_SORTS:  # stable: equal prices keep GROQ's title order
            views.sort(key=lambda v: v.price_from, reverse=PRICE_SORTS[sort])
        return views[start : start + page_size], len(views)

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
    def _views(
        self,
        raws: Sequence[dict[str, Any]],
        *,
        preview: bool,
        version: str | None = None,
        exact_stock: bool = False,
        market: Market | None = None,
    ) -> list[ProductView]:
        """``version``: of the result ``raws`` came from; with it, views are memoized.
        ``exact_stock``: read the stock table now (the cart), not the pages' snapshot.
        ``market``: price in that market (``None``: each product's own price)."""
        if version is None:
            uids, limited_ids = _needs(raws)
        else:
            uids, limited_ids = self._memo.get_or_make(("needs", version), lambda: _needs(raws))
        rows: list[dict[str, Any]] = []
        inventory_version: str | None = ""
        if uids:
            rows, inventory_version = self.content.query_versioned(
                q.INVENTORY_FOR, {"uids": uids}, types=("inventory",), preview=preview
            )
            rows = rows or []
        limited = self._limited_left(limited_ids, exact=exact_stock)
        if version is None or inventory_version is None:
            return _build_views(raws, rows, limited, market)
        key = ("views", version, inventory_version, tuple(sorted(limited.items())), market)
        return self._memo.get_or_make(key, lambda: _build_views(raws, rows, limited, market))

    def _limited_left(self, product_ids: list[str], *, exact: bool) -> dict[tuple[str, str], int]:
        """Limited editions' stock left: from the table (``exact``) or, for pages, from the
        snapshot of :mod:`storefront.catalog.stockview`. Noted as a dependency of the page."""
        if not product_ids:
            return {}
        if exact:
            counts = read_counters(self.db, product_ids)
        else:
            wanted = set(product_ids)
            counts = {k: v for k, v in self.stock.counts().items() if k[0] in wanted}
        left = {key: n for key, (n, _) in counts.items()}
        newest = max((at for _, at in counts.values() if at is not None), default=None)
        note_dependency(
            ("stock", tuple(sorted(left.items()))),
            updated=newest.isoformat() if newest is not None else None,
        )
        return left

    def products_by_ids(self, ids: Sequence[str]) -> dict[str, ProductView]:
        """Published products by id (newsletter product cards); unknown ids are left out."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        raws = self._q(q.PRODUCTS_BY_IDS, {"ids": wanted}, types=("product",), lookup=True) or []
        return {view.id: view for view in self._views(raws, preview=False)}

    # --- the cart's view of it ----------------------------------------------------------------
    def in_market(self, market: Market | None) -> MarketOffers:
        """The catalog as the cart and checkout of ``market`` see it."""
        return MarketOffers(self, market)

    def offers(
        self, keys: Iterable[OfferKey], *, market: Market | None = None
    ) -> dict[OfferKey, Offer]:
        keys = set(keys)
        ids = sorted({pid for pid, _ in keys})
        if not ids:
            return {}
        raws = self._q(q.PRODUCTS_BY_IDS, {"ids": ids}, types=("product",), lookup=True) or []
        out: dict[OfferKey, Offer] = {}
        for view in self._views(raws, preview=False, exact_stock=True, market=market):
            design = view.raw.get("design") or {}
            files = {
                side: self.content.public.image_url(ref)
                for side, ref in (
                    ("front", design.get("printFront")),
                    ("back", design.get("printBack")),
                )
                if ref
            }
            for v in view.variants:
                if (view.id, v.key) not in keys:
                    continue
                garment = garment_for(view.raw, v.colour)
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
                    image_url=mockup_path(view.id, v.colour, "front", 320, "jpg", garment.version)
                    if garment
                    else None,
                    print_files=files,
                    collections=tuple(
                        c["slug"] for c in view.raw.get("categories") or [] if c and c.get("slug")
                    ),
                )
        return out


@dataclass(frozen=True)
class MarketOffers:
    """An :class:`~storefront.catalog.offers.OfferSource` priced in one market."""

    catalog: Catalog
    market: Market | None

    def offers(self, keys: Iterable[OfferKey]) -> dict[OfferKey, Offer]:
        return self.catalog.offers(keys, market=self.market)


def _needs(raws: Sequence[dict[str, Any]]) -> tuple[tuple[str, ...], list[str]]:
    """The productUids whose inventory the views need, and the limited editions' ids."""
    uids = tuple(
        sorted(
            {v["productUid"] for r in raws for v in r.get("variants") or [] if v.get("productUid")}
        )
    )
    limited_ids = [
        r["_id"]
        for r in raws
        if any(v.get("limitedQuantity") is not None for v in r.get("variants") or [])
    ]
    return uids, limited_ids


def _build_views(
    raws: Sequence[dict[str, Any]],
    inventory_rows: Sequence[dict[str, Any]],
    limited: dict[tuple[str, str], int],
    market: Market | None = None,
) -> list[ProductView]:
    inventory = {row["productUid"]: bool(row.get("available")) for row in inventory_rows}
    views = []
    priced_in = None if market is None or market.is_legacy else market.as_pricing()
    for raw in raws:
        currency = priced_in["currency"] if priced_in else raw.get("currency") or LEGACY.currency
        view = ProductView(raw["_id"], raw["title"], raw["slug"], currency, raw, market=market)
        for v in raw.get("variants") or []:
            price = (
                variant_price(raw, v)
                if priced_in is None
                else market_variant_price(raw, v, priced_in)
            )
            if price is None:
                continue  # no valid price (see cms_schema.pricing): not offered at all
            uid = v.get("productUid") or ""
            left = None
            if v.get("limitedQuantity") is not None:
                left = limited.get((raw["_id"], v["_key"]), int(v["limitedQuantity"]))
            available = bool(uid) and inventory.get(uid, True) and (left is None or left > 0)
            view.variants.append(
                VariantView(v["_key"], v["size"], v["colour"], uid, price, available, left)
            )
        views.append(view)
    return views
