"""The visitor's market: chosen by shipping country (a cookie), switched in the footer.

The market sets the currency of every price the visitor sees and of the cart. Checkout
takes the market of the address's country instead, so what is paid always matches where
the parcel goes. Pages note the market as a dependency, so rendered fragments and ETags
differ per market; the cookie marks the visitor, so such pages are never shared by a CDN.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from storefront.catalog.markets import LEGACY, Market, UnknownCountry
from storefront.catalog.services import MarketOffers
from storefront.container import services
from storefront.content.notes import note_dependency
from storefront.countries import FALLBACK_SHIPPING_COUNTRIES
from storefront.countries import shipping_choices as named_choices
from storefront.errors import BadRequest
from storefront.sanity.errors import ContentError
from storefront.web.auth import access

bp = Blueprint("market", __name__)
COOKIE = "sf_country"
COOKIE_AGE = 365 * 24 * 3600


def current_country() -> str | None:
    """The shipping country the visitor chose, if it is one the shop sells to."""
    raw = (request.cookies.get(COOKIE) or "").strip().upper()
    return raw if len(raw) == 2 and raw.isalpha() else None


def current_market() -> Market:
    """The visitor's market (the default one until a country is chosen)."""
    if "market" in g:
        market: Market = g.market
        return market
    catalog = services().catalog
    try:
        try:
            market = catalog.market_for(current_country())
        except UnknownCountry:
            market = catalog.market_for(None)
    except ContentError:
        return LEGACY  # the content cannot be read: an error page must still render
    note_dependency(("market", market.code))
    g.market = market
    return market


def shipping_countries() -> tuple[str, ...]:
    """Where the shop ships: every country of every market in the content (the fallback
    list when the content names no market, or cannot be read)."""
    try:
        markets = services().catalog.markets()
    except ContentError:
        markets = ()
    codes = tuple(dict.fromkeys(c for m in markets for c in m.countries))
    return codes or FALLBACK_SHIPPING_COUNTRIES


def shipping_choices() -> list[tuple[str, str]]:
    """``[(code, name), …]`` for the footer's switcher and the address forms: one list."""
    return named_choices(shipping_countries())


def market_for_country(country: str) -> Market:
    """The market of a shipping country; a 400 naming it when the shop does not sell there."""
    try:
        return services().catalog.market_for(country)
    except UnknownCountry as exc:
        raise BadRequest(str(exc), code="unknown_country") from exc


def offer_source(market: Market | None = None) -> MarketOffers:
    """The catalog priced in ``market`` (default: the visitor's)."""
    return services().catalog.in_market(market or current_market())


def _back_to(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("catalog.home")


@bp.post("/market")
@access("public")
def choose() -> ResponseReturnValue:
    """The footer's country switcher: remember the country, go back to the page."""
    country = (request.form.get("country") or "").strip().upper()
    if not country:
        raise BadRequest("Choose the country we ship to.", code="unknown_country")
    market = market_for_country(country)
    response = redirect(_back_to(request.form.get("next")), code=303)
    remember_country(response, country)
    g.market = market
    return response


def remember_country(response: Response, country: str) -> None:
    response.set_cookie(
        COOKIE,
        country.upper(),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=services().settings.base_url.startswith("https://"),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _market() -> dict[str, Any]:
        return {
            "current_market": current_market,
            "current_country": current_country,
            "shipping_choices": shipping_choices,  # the checkout's list: one place for it
        }
