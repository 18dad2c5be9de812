"""Swapping an app's services in tests (the container is built once, in create_app)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from flask import Flask

from storefront.checkout.quotes import QuoteCache
from storefront.container import services
from storefront.fulfillment.push import PushReport, push_due
from storefront.fulfillment.tracking import SyncResult, open_order_numbers, sync_order
from storefront.gelato.client import GelatoClient
from storefront.newsletter.sync import NewsletterReport
from storefront.newsletter.sync import reconcile as newsletter_reconcile
from storefront.operations import orders as operations
from storefront.orders.links import order_url
from storefront.outbox import services as outbox
from storefront.payments.reconcile import ReconcileReport, capture_approved, reconcile_pending


def use_gelato(app: Flask, client: GelatoClient) -> GelatoClient:
    """Point the app at another Gelato client; the shipping quotes follow."""
    found = services(app)
    found.gelato = client
    found.quotes = QuoteCache(client)
    return client


# --- the domain calls as the web and the jobs make them, for tests that drive one directly ---
def push(
    app: Flask,
    *,
    limit: int = 25,
    lease: timedelta = outbox.DEFAULT_LEASE,
    order_type: Literal["order", "draft"] | None = None,
) -> PushReport:
    found = services(app)
    return push_due(
        found.db,
        found.gelato,
        order_type=order_type or found.settings.gelato_order_type,
        limit=limit,
        lease=lease,
    )


def sync(app: Flask, number: str, *, actor: str = "job:fulfillment-status") -> SyncResult | None:
    found = services(app)
    with app.app_context():
        return sync_order(found.db, found.gelato, number, order_link=order_url, actor=actor)


def open_orders(app: Flask) -> list[str]:
    return open_order_numbers(services(app).db)


def reconcile_payments(app: Flask, **kw: Any) -> ReconcileReport:
    found = services(app)
    with app.app_context():
        return reconcile_pending(found.db, found.gateways, order_link=order_url, **kw)


def capture(app: Flask, **kw: Any) -> ReconcileReport:
    found = services(app)
    with app.app_context():
        return capture_approved(found.db, found.gateways, order_link=order_url, **kw)


def reconcile_newsletter(app: Flask, **kw: Any) -> NewsletterReport:
    found = services(app)
    return newsletter_reconcile(found.db, found.mailing_list, **kw)


def cancel_order(app: Flask, order_id: int, **kw: Any) -> list[str]:
    found = services(app)
    with app.app_context():
        return operations.cancel(
            found.db, found.gelato, found.gateways, order_id, order_link=order_url, **kw
        )
