"""Back up the database and the content on a schedule, then prune by the retention policy.

A run succeeds only once the archive was read back (every block and checksum) and stored,
so the job's last success is the time of the last good backup: ``backup_too_old`` (health)
raises a critical alert when it is older than ``BACKUP_MAX_AGE``.
"""

from __future__ import annotations

from storefront.backups.content import content_backup
from storefront.backups.database import dialect_of
from storefront.backups.retention import Policy, to_prune
from storefront.backups.services import create_backup, prune
from storefront.backups.storage import store_for
from sync.context import JobContext
from sync.registry import scheduled


@scheduled("backup")
def backup(ctx: JobContext) -> None:
    settings = ctx.settings
    store = store_for(settings)
    policy = Policy.from_settings(settings)
    content = content_backup(settings, ctx.services.sanity_writer)
    source = content.source if content is not None else "no"
    if ctx.dry_run:
        existing = store.list()
        ctx.read(len(existing))
        ctx.note(
            f"would back up the {dialect_of(settings.database_url)} database and {source} "
            f"content to {store.location}"
        )
        for old in to_prune(existing, policy):
            ctx.note(f"would prune {old.name}")
        return
    created = create_backup(settings, content, store)
    ctx.read()
    ctx.changed()
    database = created.manifest["database"]
    tables = database["tables"] if isinstance(database, dict) else {}
    ctx.note(
        f"{created.name}: {created.size:,} bytes, {sum(tables.values())} rows in "
        f"{len(tables)} tables and {source} content, in {created.seconds:.1f} s, "
        f"to {created.location}"
    )
    for old in prune(store, policy):
        ctx.note(f"pruned {old.name}")
