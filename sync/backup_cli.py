"""``storefront backup create | list | verify | restore``.

``create`` runs the scheduled ``backup`` job once, here (recorded like any run, so it counts
as the last good backup); the others work on the store named by ``BACKUP_URL``. ``verify``
and ``restore`` take a backup's name, a path to an archive file, or nothing for the newest.
Every refusal (a damaged or cut-off archive, a wrong key, a newer schema, a database that
holds data) is one line, before anything is overwritten.
"""

from __future__ import annotations

import click

from storefront.backups import services as backups
from storefront.backups.content import content_backup
from storefront.backups.errors import BackupError, RestoreIncomplete
from storefront.backups.retention import Policy
from storefront.backups.storage import store_for
from storefront.container import services
from sync.cli import SyncCliState, print_result
from sync.runner import run_job

pass_state = click.make_pass_decorator(SyncCliState, ensure=True)


@click.group("backup")
def backup() -> None:
    """Backups of the database and the content: create, list, verify, restore."""


@backup.command("create")
@pass_state
def create(state: SyncCliState) -> None:
    """Back up now (the scheduled job, run here) and prune by the retention policy."""
    result = run_job(
        state.get_app(), "backup", trigger="cli", interactive=True, registry=state.get_registry()
    )
    print_result(result)
    if not result.ok:
        raise SystemExit(1)


@backup.command("list")
@pass_state
def list_backups(state: SyncCliState) -> None:
    """The backups in BACKUP_URL, newest first, and why each is kept."""
    settings = state.get_settings()
    store = store_for(settings)
    try:
        listed = backups.describe(store, Policy.from_settings(settings))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if not listed:
        click.echo(f"no backups in {store.location}")
        return
    click.echo(f"{len(listed)} backup(s) in {store.location}")
    for item in listed:
        meta = item.meta or {}
        what = (
            f"{meta.get('database')} at {meta.get('schema')}, {meta.get('content')} content"
            if item.problem is None
            else f"UNREADABLE: {item.problem}"
        )
        kept = item.kept_because or "pruned at the next backup"
        click.echo(f"  {item.backup.name}  {item.backup.size:>12,} bytes  {what}  (kept: {kept})")


@backup.command("verify")
@click.argument("archive", required=False)
@pass_state
def verify(state: SyncCliState, archive: str | None) -> None:
    """Open ARCHIVE (default: the newest) and check every block and checksum; restores
    nothing. Exit 1 if anything does not match."""
    settings = state.get_settings()
    store = store_for(settings)
    try:
        which = archive or backups.latest(store).name
        with backups.local_copy(store, which) as path:
            manifest = backups.verify(path, settings)
    except BackupError as exc:
        raise click.ClickException(f"{archive or 'the newest backup'}: {exc}") from exc
    database, content = manifest.database, manifest.content
    tables = database.get("tables") or {}
    click.echo(
        f"{which}: all {len(manifest.files)} checksums match; sealed with data key "
        f"{manifest.header.key_id!r}"
    )
    click.echo(
        f"  database: {database.get('dialect')} at schema {database.get('revision')}, "
        f"{sum(tables.values())} rows in {len(tables)} tables"
    )
    click.echo(
        f"  content: {content.get('source')}, {content.get('documents', 0)} documents, "
        f"{content.get('assets', 0)} assets"
    )


@backup.command("restore")
@click.argument("archive", required=False)
@click.option("--yes", is_flag=True, help="Replace a database that already holds data.")
@click.option("--only", type=click.Choice(["database", "content"]), help="Restore one part only.")
@pass_state
def restore(state: SyncCliState, archive: str | None, yes: bool, only: str | None) -> None:
    """Replace the database (DATABASE_URL) and the content (BACKUP_CONTENT) with ARCHIVE's
    (default: the newest backup). Stop the web and sync processes first."""
    settings = state.get_settings()
    store = store_for(settings)
    parts: tuple[backups.Part, ...] = (only,) if only else ("database", "content")  # type: ignore[assignment]
    try:
        content = content_backup(settings, services(state.get_app()).sanity_writer)
        which = archive or backups.latest(store).name
        with backups.local_copy(store, which) as path:
            restored = backups.restore(path, settings, content, replace=yes, parts=parts)
    except RestoreIncomplete as exc:
        raise click.ClickException(f"restore incomplete: {exc}") from exc
    except BackupError as exc:
        raise click.ClickException(f"restore refused, nothing was changed: {exc}") from exc
    manifest = restored.manifest
    tables = manifest.database.get("tables") or {}
    done = []
    if "database" in restored.parts:
        done.append(f"database ({sum(tables.values())} rows in {len(tables)} tables)")
    if "content" in restored.parts:
        done.append(
            f"content ({manifest.content.get('documents')} documents, "
            f"{manifest.content.get('assets')} assets)"
        )
    click.echo(f"restored {which}: {' and '.join(done)} in {restored.seconds:.1f} s")
    if "database" in restored.parts and restored.needs_upgrade:
        click.echo(
            f"the backup is at schema {manifest.database.get('revision')}, this version needs "
            f"{restored.head}: run `storefront db upgrade` before starting the shop"
        )
