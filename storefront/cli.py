"""The ``storefront`` command line (Flask's CLI conventions, plus our own groups)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from storefront.config import ConfigError, Settings, load_settings


def _create_app() -> Flask:
    from storefront.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, set_debug_flag=False)
def cli() -> None:
    """Storefront: the shop, its content lake, its sync jobs."""


# --- database --------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the database to REVISION."""
    from storefront import migrate

    settings = load_settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION (e.g. -1 or base)."""
    from storefront import migrate

    migrate.downgrade(load_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from storefront import migrate
    from storefront.db import make_engine

    engine = make_engine(load_settings().database_url)
    click.echo(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
    engine.dispose()


# --- development -----------------------------------------------------------------------------
@cli.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def dev(host: str, port: int) -> None:
    """Run the whole shop on the embedded defaults (SQLite, local lake, emulators)."""
    from storefront.devserver import run_dev

    run_dev(host=host, port=port)


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _register_optional_groups() -> None:
    """Feature groups (content, schema, sync, users…) mount themselves here."""
    for dotted in (
        "storefront.content.cli:content",
        "cms_schema.cli:schema",
        "sync.cli:sync",
        "storefront.users_cli:users",
        "storefront.users_cli:tokens",
    ):
        module_name, attr = dotted.split(":")
        try:
            module = __import__(module_name, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        cli.add_command(getattr(module, attr))
    from cms_schema.cli import check as content_check

    content = cli.commands.get("content")
    if isinstance(content, click.Group):
        content.add_command(content_check)


_register_optional_groups()


def main(argv: list[str] | None = None) -> None:
    """Entry point: configuration errors become one clear line, not a traceback."""
    try:
        cli.main(args=argv, prog_name="storefront", standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"storefront: configuration error: {exc}", err=True)
        sys.exit(2)


def settings_for_dev(host: str, port: int) -> Settings:
    return load_settings(base_url=f"http://{host}:{port}")


@cli.command("preview-url")
@click.argument("document_id")
def preview_url_command(document_id: str) -> None:
    """Print a signed link (valid one hour) that opens DOCUMENT_ID's page with drafts."""
    from storefront.app import create_app
    from storefront.content.views import preview_url

    click.echo(preview_url(create_app(), document_id))
