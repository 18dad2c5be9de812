"""The local lake's part of a backup (``BACKUP_CONTENT=lake``): the lake file under
``DATA_DIR`` and its asset folder, copied exactly — revisions and timestamps included — in
Sanity's export layout. The shop finds it through the ``storefront.content_backups`` entry
point (it does not import the lake). Restore with the shop and ``storefront dev`` stopped:
a running lake keeps its documents in memory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from contentlake.exports import export_store, import_export, read_export
from devstack.lake import open_lake
from storefront.backups.content import DATA, ContentSummary, write_ndjson
from storefront.config import Settings


class LakeFile:
    source = "lake"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def dump(self, folder: Path) -> ContentSummary:
        store, files = open_lake(self.settings)
        try:
            with tempfile.TemporaryDirectory(prefix="storefront-lake-") as tmp:
                exported = Path(tmp) / "export.tar.gz"
                export_store(store, files, exported, dataset=self.settings.sanity_dataset, raw=True)
                contents = read_export(exported)
        finally:
            store.close()
        folder.mkdir(parents=True, exist_ok=True)
        write_ndjson(folder / DATA, contents.documents)
        for rel, data in contents.binaries.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        return ContentSummary(self.source, len(contents.documents), len(contents.binaries))

    def restore(self, folder: Path) -> ContentSummary:
        store, files = open_lake(self.settings)
        try:
            report = import_export(
                folder,
                store,
                files,
                project_id=self.settings.sanity_project_id,
                dataset=self.settings.sanity_dataset,
                cdn_base=self.settings.sanity_live_url,
                replace=True,
            )
        finally:
            store.close()
        return ContentSummary(self.source, report.documents, report.assets)
