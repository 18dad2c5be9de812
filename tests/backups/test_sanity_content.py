"""The content of a backup through the content API (``BACKUP_CONTENT=sanity``), tested
against the local lake served over HTTP: every document and asset out, and back into another
dataset, which then holds exactly the same (Sanity assigns new revisions on the way in)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cms_schema import DEMO_CATALOG
from contentlake.app import create_lake_app
from contentlake.assets import AssetFiles, lake_asset_folder
from contentlake.exports import import_export
from contentlake.store import LakeStore
from emulators.common import LiveServer
from storefront.backups.content import ASSET_FOLDERS, SanityDataset, asset_file
from storefront.sanity.client import SanityClient
from tests.backups.support import NEW_PAGE

TOKEN = "backup-test-token"


@dataclass
class Lake:
    store: LakeStore
    files: AssetFiles
    client: SanityClient


@contextmanager
def served_lake(folder: Path, *, demo: bool) -> Iterator[Lake]:
    store = LakeStore(folder / "lake.sqlite3")
    files = AssetFiles(lake_asset_folder(folder / "lake.sqlite3"))
    late: dict[str, Any] = {}
    server = LiveServer(lambda environ, start: late["app"](environ, start))
    late["app"] = create_lake_app(
        store, token=TOKEN, project_id="local", dataset="production", assets=files
    )
    if demo:
        import_export(
            DEMO_CATALOG, store, files, project_id="local", dataset="production",
            cdn_base=server.url,
        )  # fmt: skip
    with server:
        client = SanityClient(server.url, server.url, "local", "production", token=TOKEN)
        try:
            yield Lake(store, files, client)
        finally:
            client.close()
            store.close()


def without_revision(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("_rev", "_updatedAt")}


def test_every_document_and_asset_goes_out_and_comes_back(tmp_path: Path) -> None:
    with served_lake(tmp_path / "source", demo=True) as source:
        product = next(d for d in source.store.documents() if d["_type"] == "product")
        source.store.mutate(
            [
                {"create": NEW_PAGE},
                {"createOrReplace": {**product, "_id": f"drafts.{product['_id']}", "title": "D"}},
            ]
        )
        summary = SanityDataset(source.client).dump(tmp_path / "dump")
        documents = source.store.documents()
        assert summary.documents == len(documents)
        assert summary.assets == sum(1 for d in documents if d["_type"] in ASSET_FOLDERS) > 0
        with served_lake(tmp_path / "target", demo=False) as target:
            target.store.mutate([{"create": {"_id": "stray", "_type": "page", "title": "x"}}])
            SanityDataset(target.client).restore(tmp_path / "dump")
            restored = target.store.documents()
            assert [d["_id"] for d in restored] == [d["_id"] for d in documents]
            plain = [without_revision(d) for d in documents if d["_type"] not in ASSET_FOLDERS]
            assert plain == [
                without_revision(d) for d in restored if d["_type"] not in ASSET_FOLDERS
            ]
            for doc in documents:
                name = asset_file(doc)
                if name is not None:
                    assert target.files.load(name) == source.files.load(name), name
