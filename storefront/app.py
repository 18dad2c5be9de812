"""The application factory: settings in, Flask app out, no I/O at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from storefront import error_reporting, errors, observability
from storefront.config import Settings, load_settings
from storefront.container import build_services
from storefront.db import Database
from storefront.web import api, auth, devtools, health, httpcache, metrics, security, templating
from storefront.web.admin import campaigns as campaign_views
from storefront.web.admin import discounts as admin_discounts
from storefront.web.admin import reviews as admin_reviews
from storefront.web.admin import views as admin_views
from storefront.web.shop import accounts as accounts_views
from storefront.web.shop import brand as brand_views
from storefront.web.shop import cart as cart_views
from storefront.web.shop import catalog as catalog_views
from storefront.web.shop import checkout as checkout_views
from storefront.web.shop import content as content_views
from storefront.web.shop import market as market_views
from storefront.web.shop import mockups as mockup_views
from storefront.web.shop import newsletter as newsletter_views
from storefront.web.shop import orders as order_views
from storefront.web.shop import restock as restock_views
from storefront.web.shop import reviews as review_views
from storefront.web.shop import twofactor as twofactor_views
from storefront.web.state import WebState
from storefront.web.webhooks import gelato as fulfillment_views
from storefront.web.webhooks import mailchimp as newsletter_webhook
from storefront.web.webhooks import payments as webhook_views

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings | None = None, *, database: Database | None = None, **overrides: Any
) -> Flask:
    """The shop for ``settings``; keyword arguments replace services by name (tests)."""
    settings = settings or load_settings()
    app = Flask(
        "storefront",
        template_folder=str(TEMPLATES),
        static_folder=str(STATIC),
        static_url_path="/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key.get_secret_value(),
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        JSON_SORT_KEYS=False,
    )
    app.extensions["services"] = build_services(settings, database=database, **overrides)
    if settings.proxy_hops:
        n = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]  # how Flask documents wrapping its WSGI app
    app.jinja_env.globals["shop_settings"] = settings

    observability.configure_logging(settings.log_level)
    error_reporting.init_error_reporting(settings)
    app.config["STOREFRONT_BASE_URL"] = settings.base_url
    state = app.extensions["web"] = WebState()
    observability.init_app(app, state.request_observers)
    errors.init_app(app)
    security.init_app(app, settings)
    app.jinja_env.globals["csrf_token"] = _csrf_token  # after Flask-WTF, which sets its own
    app.jinja_env.globals["csrf_field"] = _csrf_field
    app.jinja_env.globals["brand"] = brand_views.brand
    app.jinja_env.globals["brand_css_url"] = brand_views.brand_css_url
    auth.init_app(app)
    metrics.init_app(app)
    templating.init_app(app)
    httpcache.init_app(
        app,
        visitor_cookies=(cart_views.COOKIE, content_views.PREVIEW_COOKIE, market_views.COOKIE),
    )
    app.register_blueprint(health.bp)
    for module in (
        content_views,
        catalog_views,
        accounts_views,
        twofactor_views,
        api,
        cart_views,
        market_views,
        checkout_views,
        fulfillment_views,
    ):
        module.init_app(app)
    for blueprint in (
        order_views.bp,
        webhook_views.bp,
        newsletter_views.bp,
        newsletter_webhook.bp,
        admin_views.bp,
        campaign_views.bp,
        admin_reviews.bp,
        review_views.bp,
        restock_views.bp,
        admin_discounts.bp,
        mockup_views.bp,
        brand_views.bp,
    ):
        app.register_blueprint(blueprint)
    if not settings.is_production:
        app.register_blueprint(devtools.bp)
    observability.register_secret_routes(rule.rule for rule in app.url_map.iter_rules())
    return app


def _csrf_token() -> str:
    """The session's CSRF token; none on a page that caches may share (see httpcache)."""
    if httpcache.renders_shared_page():
        return ""
    token: str = generate_csrf()
    return token


def _csrf_field() -> Markup:
    """The hidden form field with the token, or nothing where :func:`_csrf_token` has none."""
    token = _csrf_token()
    if not token:
        return Markup()
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % token
