"""Create, verify, restore and prune backups (``storefront backup …`` and the sync job).

A restore checks everything it can before it touches anything: the key and the schema
revision from the header (a wrong key or a newer schema is refused before decrypting), the
database to restore into (a database holding data needs ``replace``), then the whole archive
— every block authenticated, every checksum compared — while unpacking it into a temporary
folder. Only then are the database and the content replaced.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from storefront import migrate
from storefront.backups.archive import Manifest, read_archive, write_archive
from storefront.backups.content import ContentBackup
from storefront.backups.database import (
    dialect_of,
    dump_database,
    restore_database,
    tables_with_rows,
)
from storefront.backups.envelope import MAX_HEADER, Header, check_key, read_header
from storefront.backups.errors import (
    ArchiveRefused,
    BackupError,
    NewerSchema,
    RestoreIncomplete,
    TargetNotEmpty,
    WrongDatabase,
)
from storefront.backups.retention import Policy, reasons_to_keep, to_prune
from storefront.backups.storage import BackupStore, StoredBackup, archive_name
from storefront.config import Settings
from storefront.db import utcnow

Part = Literal["database", "content"]


@dataclass(frozen=True)
class Created:
    name: str
    size: int
    location: str
    manifest: dict[str, object]
    seconds: float


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    seconds: float
    parts: tuple[Part, ...]
    head: str | None

    @property
    def needs_upgrade(self) -> bool:
        return self.manifest.database.get("revision") not in (None, self.head)


@dataclass(frozen=True)
class Listed:
    backup: StoredBackup
    meta: dict[str, object] | None
    problem: str | None
    kept_because: str | None


def _app_version() -> str:
    try:
        return version("storefront")
    except PackageNotFoundError:
        return "unknown"


def create_backup(
    settings: Settings,
    content: ContentBackup | None,
    store: BackupStore,
    *,
    now: datetime | None = None,
) -> Created:
    """Dump the database and the content, seal them, read the archive back, store it."""
    started = time.perf_counter()
    now = now or utcnow()
    name = archive_name(now)
    ring = settings.data_key_ring
    with tempfile.TemporaryDirectory(prefix="storefront-backup-") as tmp:  # mode 0700
        staging = Path(tmp) / "staging"
        dump = dump_database(settings.database_url, staging)
        summary = content.dump(staging / "content") if content is not None else None
        source = summary.source if summary is not None else "none"
        meta = {
            "created_at": now.isoformat(),
            "schema": dump.revision,
            "database": dump.dialect,
            "content": source,
            "app_version": _app_version(),
        }
        manifest = {
            "created_at": now.isoformat(),
            "app_version": _app_version(),
            "database": dump.as_manifest(),
            "content": summary.as_manifest() if summary is not None else {"source": "none"},
        }
        archive = Path(tmp) / name
        with archive.open("wb") as out:
            written = write_archive(staging, out, ring.newest, meta=meta, manifest=manifest)
        with archive.open("rb") as src:  # what is put away must read back
            read_archive(src, ring)
        store.put(name, archive)
        size = archive.stat().st_size
    return Created(name, size, store.location, written, time.perf_counter() - started)


@contextlib.contextmanager
def local_copy(store: BackupStore, which: str) -> Iterator[Path]:
    """``which`` as a local file: a path to an archive, or the name of one in the store."""
    path = Path(which)
    if path.is_file():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="storefront-restore-") as tmp:
        target = Path(tmp) / Path(which).name
        store.fetch(which, target)
        yield target


def latest(store: BackupStore) -> StoredBackup:
    found = store.list()
    if not found:
        raise BackupError(f"there is no backup in {store.location} yet")
    return found[0]


def check_schema(header: Header) -> None:
    """A backup whose schema revision this code does not know came from a newer version."""
    revision = header.meta.get("schema")
    if not revision:
        return
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    try:
        known = scripts.get_revision(str(revision)) is not None
    except CommandError:
        known = False
    if not known:
        raise NewerSchema(
            f"this backup is of database schema {revision}, which this version of the shop "
            f"does not know (it knows up to {scripts.get_current_head()}): it was made by a "
            "newer version — deploy that version (or a newer one) and restore with it"
        )


def verify(path: Path, settings: Settings) -> Manifest:
    """Could this archive be restored here? The key and the schema revision, then every
    block and checksum of the whole archive; restores nothing."""
    with path.open("rb") as src:
        header = read_header(src)
    check_key(header, settings.data_key_ring)
    check_schema(header)
    with path.open("rb") as src:
        return read_archive(src, settings.data_key_ring)


def restore(
    path: Path,
    settings: Settings,
    content: ContentBackup | None,
    *,
    replace: bool = False,
    parts: tuple[Part, ...] = ("database", "content"),
) -> Restored:
    """Replace the database (``DATABASE_URL``) and the content with the archive's."""
    ring = settings.data_key_ring
    with path.open("rb") as src:
        header = read_header(src)
    check_key(header, ring)
    check_schema(header)
    if "database" in parts:
        dialect, target = str(header.meta.get("database")), dialect_of(settings.database_url)
        if dialect != target:
            raise WrongDatabase(
                f"this backup holds a {dialect} database and DATABASE_URL is {target}: "
                f"restore it into a {dialect} database"
            )
        held = tables_with_rows(settings.database_url)
        if held and not replace:
            shown = ", ".join(f"{name} ({rows})" for name, rows in sorted(held.items())[:4])
            raise TargetNotEmpty(
                f"the database to restore into holds data ({shown}…): pass --yes to replace "
                "it, or point DATABASE_URL at a new database"
            )
    with tempfile.TemporaryDirectory(prefix="storefront-restore-") as tmp:
        unpacked = Path(tmp) / "archive"
        with path.open("rb") as src:
            manifest = read_archive(src, ring, into=unpacked)
        wanted = parts if manifest.content.get("source") != "none" else (
            tuple(p for p in parts if p != "content")
        )  # fmt: skip
        if "content" in wanted and content is None:
            raise BackupError(
                "the backup holds content but BACKUP_CONTENT=none: set where to restore it, "
                "or restore only the database (--only database)"
            )
        started = time.perf_counter()
        if "database" in wanted:
            restore_database(  # one transaction on PostgreSQL: all of it or nothing
                settings.database_url,
                unpacked / str(manifest.database["file"]),
                str(manifest.database["dialect"]),
                replace=replace,
            )
        if "content" in wanted and content is not None:
            try:
                content.restore(unpacked / "content")
            except BackupError as exc:
                done = "the database was restored, " if "database" in wanted else ""
                raise RestoreIncomplete(
                    f"{done}the content was not (fully): {exc}; run the restore again with "
                    "--only content"
                ) from exc
        seconds = time.perf_counter() - started
    return Restored(manifest, seconds, wanted, migrate.head_revision())


def prune(store: BackupStore, policy: Policy) -> list[StoredBackup]:
    """Delete what the retention policy does not keep; returns what was deleted."""
    gone = to_prune(store.list(), policy)
    for backup in gone:
        store.delete(backup.name)
    return gone


def describe(store: BackupStore, policy: Policy) -> list[Listed]:
    """Every stored backup with its header (when readable) and why it is kept."""
    found = store.list()
    keep = reasons_to_keep(found, policy)
    listed = []
    for backup in found:
        meta: dict[str, object] | None = None
        problem = None
        try:
            meta = read_header(io.BytesIO(store.head(backup.name, MAX_HEADER + 12))).meta
        except ArchiveRefused as exc:
            problem = str(exc)
        listed.append(Listed(backup, meta, problem, keep.get(backup.name)))
    return listed
