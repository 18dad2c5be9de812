"""``storefront dev``: the shop and every emulator on one local port, database migrated."""

from __future__ import annotations

import click
from werkzeug.serving import run_simple

from storefront import migrate
from storefront.app import create_app
from storefront.config import load_settings


def run_dev(*, host: str, port: int) -> None:
    settings = load_settings(base_url=f"http://{host}:{port}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    click.echo(f"Storefront is running on {settings.base_url}/  (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
