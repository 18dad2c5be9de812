"""The content of a backup: every document of the dataset and the asset binaries, in
Sanity's export layout (``data.ndjson``, ``images/``, ``files/``).

Two sources, one protocol (:class:`ContentBackup`), chosen by ``BACKUP_CONTENT``:

* ``sanity`` — :class:`SanityDataset`, through the content API the shop already talks to
  (Sanity, or the local lake served over HTTP): documents page by page with GROQ in the
  raw perspective (drafts and asset documents included), each asset downloaded from its
  ``url``. Restoring uploads the binaries (same bytes, same asset id), writes the documents
  with ``createOrReplace`` and deletes what the backup does not hold. Sanity assigns new
  ``_rev`` and ``_updatedAt`` values on the way in; everything else comes back as it was.
* ``lake`` — the local lake's own file under ``DATA_DIR``, copied exactly (revisions and
  timestamps too). The shop does not import the lake, so this one is provided by the dev
  stack through the ``storefront.content_backups`` entry point.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlsplit

from storefront.backups.errors import BackupError
from storefront.config import Settings
from storefront.sanity.client import SanityClient
from storefront.sanity.errors import ContentError

#: Entry-point group of content backups that live outside the shop (the local lake).
CONTENT_BACKUPS = "storefront.content_backups"
ASSET_FOLDERS = {"sanity.imageAsset": "images", "sanity.fileAsset": "files"}
DATA = "data.ndjson"
PAGE = 500
BATCH = 100
#: Every document but Sanity's system ones (``_.groups.*``…), in id order from ``$after``.
ALL_AFTER = f'*[_id > $after && !(_id in path("_.**"))] | order(_id) [0...{PAGE}]'


@dataclass(frozen=True)
class ContentSummary:
    source: str
    documents: int
    assets: int

    def as_manifest(self) -> dict[str, object]:
        return {"source": self.source, "documents": self.documents, "assets": self.assets}


class ContentBackup(Protocol):
    source: str

    def dump(self, folder: Path) -> ContentSummary:
        """Write the dataset into ``folder`` (export layout)."""

    def restore(self, folder: Path) -> ContentSummary:
        """Make the dataset hold exactly what ``folder`` holds."""


def write_ndjson(path: Path, documents: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for doc in documents:
            out.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def asset_file(doc: dict[str, Any]) -> str | None:
    """Where an asset document's binary goes in the export layout (``images/<name>``)."""
    folder = ASSET_FOLDERS.get(str(doc.get("_type")))
    url = doc.get("url")
    if folder is None or not isinstance(url, str):
        return None
    return f"{folder}/{PurePosixPath(urlsplit(url).path).name}"


class SanityDataset:
    """The dataset behind the shop's content API (``SANITY_*`` settings, write token)."""

    source = "sanity"

    def __init__(self, client: SanityClient) -> None:
        self.client = client

    def _all(self) -> Iterator[dict[str, Any]]:
        after = ""
        while True:
            page = self.client.query(ALL_AFTER, {"after": after}, perspective="raw", use_cdn=False)
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1]["_id"]

    def dump(self, folder: Path) -> ContentSummary:
        folder.mkdir(parents=True, exist_ok=True)
        documents, assets = list(self._all()), 0
        try:
            for doc in documents:
                name = asset_file(doc)
                if name is None:
                    continue
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.client.download(doc["url"]))
                assets += 1
        except ContentError as exc:
            raise BackupError(f"the content API did not give the dataset: {exc}") from exc
        write_ndjson(folder / DATA, documents)
        return ContentSummary(self.source, len(documents), assets)

    def restore(self, folder: Path) -> ContentSummary:
        documents = read_ndjson(folder / DATA)
        renamed: dict[str, str] = {}
        assets = 0
        try:
            for doc in documents:
                name = asset_file(doc)
                if name is None:
                    continue
                upload = self.client.upload_image if name.startswith("images/") else (
                    self.client.upload_file
                )  # fmt: skip
                filename = str(doc.get("originalFilename") or PurePosixPath(name).name)
                uploaded = upload((folder / name).read_bytes(), filename)
                if uploaded["_id"] != doc["_id"]:
                    renamed[doc["_id"]] = uploaded["_id"]
                assets += 1
            rest = [_retarget(_without_system(d), renamed) for d in documents if not asset_file(d)]
            for start in range(0, len(rest), BATCH):
                self.client.mutate([{"createOrReplace": d} for d in rest[start : start + BATCH]])
            keep = {d["_id"] for d in documents} | set(renamed.values())
            extra = [d["_id"] for d in self._all() if d["_id"] not in keep]
            if extra:  # one transaction: they may refer to each other
                self.client.mutate([{"delete": {"id": doc_id}} for doc_id in extra])
        except ContentError as exc:
            raise BackupError(f"the content API refused the restore: {exc}") from exc
        return ContentSummary(self.source, len(documents), assets)


def _without_system(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("_rev", "_updatedAt")}


def _retarget(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _retarget(v, renamed) for k, v in value.items()}
        if isinstance(out.get("_ref"), str) and out["_ref"] in renamed:
            out["_ref"] = renamed[out["_ref"]]
        return out
    if isinstance(value, list):
        return [_retarget(v, renamed) for v in value]
    return value


def content_backup(settings: Settings, sanity: SanityClient) -> ContentBackup | None:
    """The content source ``BACKUP_CONTENT`` names (``None`` for ``none``)."""
    source = settings.backup_content_source
    if source == "none":
        return None
    if source == "sanity":
        return SanityDataset(sanity)
    found = entry_points(group=CONTENT_BACKUPS, name=source)
    if not found:
        raise BackupError(
            f"BACKUP_CONTENT={source}: no such content backup is installed (the local lake's "
            "comes with the dev stack); use sanity or none"
        )
    factory: Callable[[Settings], ContentBackup] = next(iter(found)).load()
    return factory(settings)
