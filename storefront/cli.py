"""The ``storefront`` command line (Flask's CLI conventions, plus our own groups).

:func:`main` is the console script. It keeps the console for what the command has to say:
the JSON log goes to ``DATA_DIR/log/cli.jsonl`` (servers such as ``dev`` and ``sync run``
log on stderr after all), and a failure is one line on stderr with a non-zero exit — a bad
setting exits 2; a database that is missing its schema says to run ``storefront db
upgrade``; anything unexpected names the log file that holds the traceback.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from importlib.metadata import entry_points

import click
import structlog
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from storefront import error_reporting, migrate, observability
from storefront.clistate import CliState, pass_state
from storefront.config import ConfigError, load_settings
from storefront.db import make_engine
from storefront.devstate import load_settings_near_dev
from storefront.web.shop.content import preview_url

_log = structlog.get_logger("storefront.cli")


def _create_app() -> Flask:
    """For Flask's own commands (``routes``, ``shell``); ours use :class:`CliState`."""
    return CliState().get_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, set_debug_flag=False)
def cli() -> None:
    """Storefront: the shop, its content lake, its sync jobs."""


# --- database --------------------------------------------------------------------------------
@cli.group(cls=click.Group)
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_state
def db_upgrade(state: CliState, revision: str) -> None:
    """Create or migrate the database to REVISION."""

    settings = state.get_settings()
    migrate.upgrade(settings.database_url, revision, cipher=settings.field_cipher)
    click.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


@db.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")  # relative revisions such as -1 are not options
@pass_state
def db_downgrade(state: CliState, revision: str) -> None:
    """Step the schema back to REVISION (e.g. -1 or base)."""

    settings = state.get_settings()
    migrate.downgrade(settings.database_url, revision, cipher=settings.field_cipher)
    click.echo(f"database at {revision}")


@db.command("current")
@pass_state
def db_current(state: CliState) -> None:
    """Print the schema revision of the database."""

    engine = make_engine(state.get_settings().database_url)
    try:
        click.echo(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
    finally:
        engine.dispose()


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    return make_url(url).render_as_string(hide_password=True)


#: Entry-point group through which packages add their commands (see ``pyproject.toml``):
#: the sync process, the content model, the dev stack. The shop imports none of them.
COMMANDS = "storefront.commands"


def _register_commands() -> None:
    for entry in sorted(entry_points(group=COMMANDS), key=lambda e: e.name):
        command = entry.load()
        cli.add_command(command, entry.name)


_register_commands()


@cli.command("preview-url", with_appcontext=False)
@click.argument("document_id")
@pass_state
def preview_url_command(state: CliState, document_id: str) -> None:
    """Print a signed link (valid one hour) that opens DOCUMENT_ID's page with drafts."""

    click.echo(preview_url(state.get_app(), document_id))


# --- the console script ----------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``storefront`` console script (see the module docstring)."""
    error_reporting.set_component("cli")  # `sync run` says "sync" once it is one
    logs: AbstractContextManager[None] = nullcontext()
    try:
        settings = load_settings()
    except ConfigError:
        pass  # a command that needs settings says what is wrong
    else:
        logs = observability.log_to_file(
            settings.data_dir / "log" / "cli.jsonl", settings.log_level
        )
    with logs:
        try:
            cli.main(args=argv, prog_name="storefront", standalone_mode=True)
        except ConfigError as exc:
            _fail(f"configuration error: {exc}", status=2, traceback=False)
        except SQLAlchemyError as exc:
            _fail(_database_problem(exc))
        except Exception as exc:
            _fail(f"{type(exc).__name__}: {_first_line(exc)}")


def _fail(message: str, *, status: int = 1, traceback: bool = True) -> None:
    """One line on the console; the traceback in the log file."""
    log_file = observability.current_log_file()
    if traceback and log_file is not None:
        _log.error("cli.failed", error=message, exc_info=True)
        message += f" (details in {log_file})"
    click.echo(f"storefront: {message}", err=True)
    sys.exit(status)


def _database_problem(exc: SQLAlchemyError) -> str:
    """What to do about a database error: above all, a schema that was never (fully) made."""

    url = load_settings_near_dev().database_url
    where = _safe_url(url)
    try:
        engine = make_engine(url)
        try:
            current = migrate.current_revision(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as unreachable:
        return f"cannot use the database {where}: {_first_line(unreachable)}"
    head = migrate.head_revision()
    if current is None:
        return f"the database {where} has no schema yet: run `storefront db upgrade`"
    if current != head:
        return (
            f"the database {where} is at revision {current}, this version needs {head}: "
            "run `storefront db upgrade`"
        )
    return f"database error on {where}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    """The message without SQLAlchemy's SQL echo and help link."""
    text = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
