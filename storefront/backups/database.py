"""The database in and out of a backup.

PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, compressed) and
``pg_restore --single-transaction --exit-on-error``, so a restore lands whole or not at all.
The password travels in ``PGPASSWORD``, never on a command line (``ps`` shows those).
The client tools must be of the server's major version or newer.

SQLite: the online backup API copies a consistent image while the shop keeps running, and
copies it back over the target file on restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, make_url

from storefront import migrate
from storefront.backups.errors import BackupError, TargetNotEmpty, WrongDatabase
from storefront.db import make_engine
from storefront.models import metadata

FILES = {"postgresql": "database/storefront.pgdump", "sqlite": "database/storefront.sqlite3"}
#: pg_dump of a shop database takes seconds; this only stops a hung one.
TOOL_TIMEOUT = 3600


@dataclass(frozen=True)
class DatabaseDump:
    dialect: str
    revision: str | None
    file: str  # inside the archive
    tables: dict[str, int]

    def as_manifest(self) -> dict[str, object]:
        return {
            "dialect": self.dialect,
            "revision": self.revision,
            "file": self.file,
            "tables": self.tables,
        }


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def row_counts(url: str) -> dict[str, int]:
    """Rows in each of the shop's tables that exist (and Alembic's version table)."""
    engine = make_engine(url)
    try:
        present = set(inspect(engine).get_table_names())
        names = [t for t in metadata.sorted_tables if t.name in present]
        with engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in names
            }
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


def dump_database(url: str, staging: Path) -> DatabaseDump:
    """A consistent copy of the database at ``url`` into ``staging`` (its archive path)."""
    dialect = dialect_of(url)
    target = staging / FILES[dialect]
    target.parent.mkdir(parents=True, exist_ok=True)
    revision, tables = current_revision(url), row_counts(url)
    if dialect == "sqlite":
        _sqlite_copy(_sqlite_path(url), target)
    else:
        uri, env = _libpq(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
            uri,
            env,
            "pg_dump",
        )
    return DatabaseDump(dialect, revision, FILES[dialect], tables)


def tables_with_rows(url: str) -> dict[str, int]:
    """What restoring over ``url`` would overwrite (empty: a fresh database)."""
    return {name: rows for name, rows in row_counts(url).items() if rows}


def restore_database(url: str, dump_file: Path, dialect: str, *, replace: bool) -> None:
    """Put the dump in place of the database at ``url``. Refuses a database that holds data
    unless ``replace``, and a dump of the other dialect."""
    target_dialect = dialect_of(url)
    if dialect != target_dialect:
        raise WrongDatabase(
            f"this backup holds a {dialect} database and DATABASE_URL is {target_dialect}: "
            f"restore it into a {dialect} database"
        )
    held = tables_with_rows(url)
    if held and not replace:
        shown = ", ".join(f"{name} ({rows})" for name, rows in sorted(held.items())[:5])
        raise TargetNotEmpty(
            f"the database to restore into holds data ({shown}…): pass --yes to replace it, "
            "or point DATABASE_URL at a new database"
        )
    if dialect == "sqlite":
        _sqlite_copy(dump_file, _sqlite_path(url))
        return
    uri, env = _libpq(url)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(dump_file),
        ],
        uri,
        env,
        "pg_restore",
    )


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    """SQLite's online backup API: a consistent image of ``source`` replaces ``target``."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], uri: str, env: dict[str, str], tool: str) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(
            f"{tool} is not installed: install the PostgreSQL client tools of your server's "
            "major version (e.g. postgresql-client-15)"
        )
    try:
        done = subprocess.run(
            [*args, "--dbname", uri],
            env=env,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{tool} did not finish within {TOOL_TIMEOUT} s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{tool} failed: {lines[0] if lines else f'exit {done.returncode}'}")
