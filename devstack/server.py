"""``storefront dev``: the shop and every emulator on one local port, database migrated.

One threaded server answers the shop and, under ``/_emulators/<service>``, the emulated
Sanity lake, Stripe, PayPal, Gelato and Mailchimp; their webhooks come back to the shop over
HTTP like the real ones. The scheduler runs alongside when the sync jobs exist.

While it listens, ``DATA_DIR/dev-server.json`` tells the other commands where it is
(:mod:`storefront.devstate`); SIGINT and SIGTERM stop it cleanly and remove that file.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

import click
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from devstack.embedded import build_embedded, pin_paypal_emulator
from storefront import devstate, migrate, observability
from storefront.app import create_app
from storefront.config import Settings, load_settings
from sync.scheduler import start_background

log = logging.getLogger(__name__)


def dev_choices(base: Settings, host: str, port: int) -> dict[str, Any]:
    """The settings ``storefront dev`` decides itself, on top of the environment ``base``.

    They are also what it shares with the other commands (:mod:`storefront.devstate`), so a
    value someone gave it (a real token, a database password) is never among them.
    """
    hosts = base.paypal_cert_hosts
    if "127.0.0.1" not in base.paypal_cert_host_list and base.paypal_api_base is None:
        hosts += ",127.0.0.1"
    overrides: dict[str, Any] = {"base_url": f"http://{host}:{port}", "paypal_cert_hosts": hosts}
    if base.sanity_api_url is None and base.sanity_write_token is None:
        # The local lake takes any token, but like Sanity it wants one for writes and drafts.
        overrides["sanity_write_token"] = overrides["sanity_read_token"] = "local-lake-token"  # noqa: S105
    if base.gelato_api_base is None:
        # Only the emulator is reached: real orders (not drafts) so statuses move in the demo.
        overrides["gelato_order_type"] = "order"
    if "database_url" not in base.model_fields_set:
        overrides["database_url"] = base.database_url  # the default: where it is, to share
    return overrides


def dev_settings(host: str, port: int) -> Settings:
    """Embedded defaults for this address; PayPal certificates may come from the emulator
    (which :func:`build_dev_app` pins)."""
    return load_settings(**dev_choices(load_settings(), host, port))


def build_dev_app(settings: Settings) -> tuple[Flask, DispatcherMiddleware]:
    """The shop and, mounted under ``/_emulators``, every emulator and the lake; the shop
    trusts the PayPal emulator's certificate and no other local one."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, cipher=settings.field_cipher)
    embedded = build_embedded(settings)
    app = create_app(pin_paypal_emulator(settings, embedded))
    return app, DispatcherMiddleware(app, embedded.mounts())


def run_dev(*, host: str, port: int) -> None:
    base = load_settings()
    observability.log_to_stderr(base.log_level)  # a server: its log is its console
    choices = dev_choices(base, host, port)
    settings = load_settings(**choices)
    app, wsgi = build_dev_app(settings)
    try:
        server = make_server(host, port, wsgi, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    scheduler = start_background(app)

    def _shutdown() -> None:
        # Running jobs finish first: they may still be talking to the emulators served here.
        scheduler.shutdown(wait=True)
        server.shutdown()

    stopper = threading.Thread(target=_shutdown, name="dev-shutdown")

    def _stop(signum: int, _frame: FrameType | None) -> None:
        # serve_forever() runs in this thread: only another one can wait for it to stop.
        if stopper.ident is None:
            click.echo(f"{signal.Signals(signum).name}: stopping…", err=True)
            stopper.start()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    devstate.record(settings.data_dir, choices)
    click.echo(f"Storefront is running on {settings.base_url}/  (Ctrl+C to stop)")
    click.echo(f"  local mail outbox: {settings.base_url}/_dev/mail")
    try:
        server.serve_forever()
    finally:
        devstate.forget(settings.data_dir)
        if stopper.ident is not None:
            stopper.join()
        elif scheduler is not None:
            scheduler.shutdown(wait=False)
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Storefront stopped", err=True)
