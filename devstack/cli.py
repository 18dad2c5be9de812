"""The commands this package adds to ``storefront`` (registered as entry points)."""

from __future__ import annotations

import click

from devstack.server import run_dev


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def dev(host: str, port: int) -> None:
    """Run the whole shop on the embedded defaults (SQLite, local lake, emulators)."""

    run_dev(host=host, port=port)
