"""``storefront dev``: the shop and every emulator on one local port, database migrated.

One threaded server answers the shop and, under ``/_emulators/<service>``, the emulated
Sanity lake, Stripe, PayPal, Gelato and Mailchimp; their webhooks come back to the shop over
HTTP like the real ones. The scheduler runs alongside when the sync jobs exist.
"""

from __future__ import annotations

import logging

import click
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import run_simple

from storefront import migrate
from storefront.app import create_app
from storefront.config import Settings, load_settings
from storefront.emulators.embedded import build_embedded

log = logging.getLogger(__name__)


def dev_settings(host: str, port: int) -> Settings:
    """Embedded defaults for this address; PayPal certificates may come from the emulator."""
    base = load_settings()
    hosts = base.paypal_cert_hosts
    if "127.0.0.1" not in base.paypal_cert_host_list and base.paypal_api_base is None:
        hosts += ",127.0.0.1"
    overrides: dict[str, object] = {"base_url": f"http://{host}:{port}", "paypal_cert_hosts": hosts}
    if base.sanity_api_url is None and base.sanity_write_token is None:
        # The local lake takes any token, but like Sanity it wants one for writes and drafts.
        overrides["sanity_write_token"] = overrides["sanity_read_token"] = "local-lake-token"  # noqa: S105
    if base.gelato_api_base is None:
        # Only the emulator is reached: real orders (not drafts) so statuses move in the demo.
        overrides["gelato_order_type"] = "order"
    return load_settings(**overrides)


def build_dev_app(settings: Settings):  # type: ignore[no-untyped-def]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    embedded = build_embedded(settings)
    for hook in app.extensions.get("dev_startup", ()):
        hook(app, embedded)
    return app, DispatcherMiddleware(app, embedded.mounts())


def run_dev(*, host: str, port: int) -> None:
    settings = dev_settings(host, port)
    app, wsgi = build_dev_app(settings)
    scheduler = None
    try:
        from sync.scheduler import start_background
    except ImportError:
        start_background = None  # type: ignore[assignment]
    if start_background is not None:
        scheduler = start_background(app)
    click.echo(f"Storefront is running on {settings.base_url}/  (Ctrl+C to stop)")
    click.echo(f"  local mail outbox: {settings.base_url}/_dev/mail")
    try:
        run_simple(host, port, wsgi, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
