"""Sanity dataset exports in and out of the local lake.

Reads ``.ndjson``, Sanity's ``.tar.gz`` archive (one top folder holding ``data.ndjson``,
``assets.json``, ``images/``, ``files/``) and the same layout unpacked in a folder.
Non-raw exports carry ``_sanityAsset: "image@file://./images/<id>-<W>x<H>.<ext>"``
placeholders; they become real references again and the asset documents and binaries are
created. Raw exports (asset documents present) load as they are. Writing produces raw
``.ndjson`` or a ``.tar.gz`` in Sanity's layout (raw, or non-raw with the placeholders).
Binaries are included in both tar.gz modes (Sanity's ``--raw`` leaves them out), so an
export always round-trips through the lake.
"""

from __future__ import annotations

import copy
import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from contentlake.assets import (
    AssetFiles,
    file_document,
    file_path,
    image_document,
    image_path,
)
from contentlake.store import LakeStore

ASSET_TYPES = ("sanity.imageAsset", "sanity.fileAsset")
#: Fields Sanity's exporter leaves out of ``assets.json``.
_ASSET_JSON_DROPPED = ("_id", "_type", "assetId", "extension", "mimeType", "path", "url")
_PLACEHOLDER = re.compile(r"^(image|file)@file://\./((?:images|files)/[^/]+)$")
_IMAGE_NAME = re.compile(r"^([A-Za-z0-9_]+)-(\d+)x(\d+)\.([a-z0-9]+)$")
_FILE_NAME = re.compile(r"^([A-Za-z0-9_]+)\.([a-z0-9]+)$")
_IMAGE_REF = re.compile(r"^image-([A-Za-z0-9_]+)-(\d+)x(\d+)-([a-z0-9]+)$")
_FILE_REF = re.compile(r"^file-([A-Za-z0-9_]+)-([a-z0-9]+)$")


class ExportError(ValueError):
    """The export cannot be read (missing data.ndjson, bad JSON line, missing binary…)."""


@dataclass
class ExportContents:
    documents: list[dict[str, Any]]
    binaries: dict[str, bytes] = field(default_factory=dict)  # "images/<name>" -> bytes
    asset_meta: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    documents: int
    written: int
    deleted: int
    assets: int


def _parse_ndjson(text: str, origin: str) -> list[dict[str, Any]]:
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise ExportError(f"{origin}:{number}: not JSON ({exc})") from exc
        if not isinstance(doc, dict) or "_id" not in doc:
            raise ExportError(f"{origin}:{number}: not a document")
        documents.append(doc)
    return documents


def _from_tar(path: Path) -> ExportContents:
    with tarfile.open(path, "r:gz") as archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        data_names = [n for n in members if PurePosixPath(n).name == "data.ndjson"]
        if not data_names:
            raise ExportError(f"{path}: no data.ndjson in the archive")
        root = PurePosixPath(min(data_names, key=len)).parent

        def read(name: str) -> bytes:
            handle = archive.extractfile(members[name])
            assert handle is not None
            return handle.read()

        contents = ExportContents(
            _parse_ndjson(read(str(root / "data.ndjson")).decode("utf-8"), str(path))
        )
        if (meta := str(root / "assets.json")) in members:
            contents.asset_meta = json.loads(read(meta))
        for name in members:
            relative = PurePosixPath(name).relative_to(root) if name.startswith(str(root)) else None
            if (
                relative is not None
                and len(relative.parts) == 2
                and relative.parts[0]
                in (
                    "images",
                    "files",
                )
            ):
                contents.binaries[str(relative)] = read(name)
    return contents


def _from_folder(path: Path) -> ExportContents:
    data = path / "data.ndjson"
    if not data.is_file():
        raise ExportError(f"{path}: no data.ndjson in the folder")
    contents = ExportContents(_parse_ndjson(data.read_text("utf-8"), str(data)))
    if (path / "assets.json").is_file():
        contents.asset_meta = json.loads((path / "assets.json").read_text("utf-8"))
    for kind in ("images", "files"):
        for item in sorted((path / kind).glob("*")) if (path / kind).is_dir() else []:
            if item.is_file():
                contents.binaries[f"{kind}/{item.name}"] = item.read_bytes()
    return contents


def read_export(source: str | Path) -> ExportContents:
    """Read an ``.ndjson`` file, a ``.tar.gz`` export or an unpacked export folder."""
    path = Path(source)
    if path.is_dir():
        return _from_folder(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such file or folder")
    if path.name.endswith((".tar.gz", ".tgz")):
        return _from_tar(path)
    return ExportContents(_parse_ndjson(path.read_text("utf-8"), str(path)))


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in list(value.values()):
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def resolve_assets(
    contents: ExportContents, *, project_id: str, dataset: str, cdn_base: str
) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Documents with placeholders turned into references, plus the asset documents
    they need; and every binary to store (by relative path)."""
    documents = copy.deepcopy(contents.documents)
    existing = {d["_id"] for d in documents}
    assets: dict[str, dict[str, Any]] = {}
    for doc in documents:
        for node in _walk(doc):
            placeholder = node.get("_sanityAsset")
            if not isinstance(placeholder, str):
                continue
            match = _PLACEHOLDER.match(placeholder)
            if not match:
                raise ExportError(f"{doc['_id']}: unsupported asset placeholder {placeholder!r}")
            rel = match.group(2)
            data = contents.binaries.get(rel)
            if data is None:
                raise ExportError(f"{doc['_id']}: asset binary {rel} is not in the export")
            asset = _asset_document(
                match.group(1), rel, data, contents, project_id, dataset, cdn_base
            )
            del node["_sanityAsset"]
            node["asset"] = {"_type": "reference", "_ref": asset["_id"]}
            if asset["_id"] not in existing:
                assets.setdefault(asset["_id"], asset)
    return documents + list(assets.values()), dict(contents.binaries)


def _asset_document(
    kind: str,
    rel: str,
    data: bytes,
    contents: ExportContents,
    project_id: str,
    dataset: str,
    cdn_base: str,
) -> dict[str, Any]:
    name = PurePosixPath(rel).name
    if kind == "image":
        match = _IMAGE_NAME.match(name)
        if not match:
            raise ExportError(f"bad image file name {name!r}")
        asset_id, width, height, ext = match.groups()
        doc, _ = image_document(
            data, name, project_id=project_id, dataset=dataset, cdn_base=cdn_base
        )
        doc["_id"] = f"image-{asset_id}-{width}x{height}-{ext}"
        doc["path"] = f"images/{project_id}/{dataset}/{name}"
    else:
        match = _FILE_NAME.match(name)
        if not match:
            raise ExportError(f"bad file name {name!r}")
        asset_id, ext = match.groups()
        doc, _ = file_document(
            data, name, project_id=project_id, dataset=dataset, cdn_base=cdn_base
        )
        doc["_id"] = f"file-{asset_id}-{ext}"
        doc["path"] = f"files/{project_id}/{dataset}/{name}"
    doc["assetId"] = asset_id
    doc["url"] = f"{cdn_base.rstrip('/')}/{doc['path']}"
    meta = contents.asset_meta.get(f"{kind}-{asset_id}") or {}
    doc.update({k: v for k, v in meta.items() if k not in _ASSET_JSON_DROPPED})
    return doc


def import_export(
    source: str | Path,
    store: LakeStore,
    files: AssetFiles,
    *,
    project_id: str,
    dataset: str,
    cdn_base: str,
    replace: bool = False,
) -> ImportReport:
    """Load an export into the lake; importing the same export twice changes nothing."""
    contents = read_export(source)
    documents, binaries = resolve_assets(
        contents, project_id=project_id, dataset=dataset, cdn_base=cdn_base
    )
    for rel, data in binaries.items():
        files.save(rel, data)
    written, deleted = store.put_documents(documents, replace=replace)
    return ImportReport(len(documents), written, deleted, len(binaries))


# --- writing ------------------------------------------------------------------------------------
def _asset_rel(ref: str) -> tuple[str, str] | None:
    """``("image", "images/<id>-WxH.ext")`` for an asset reference id."""
    if match := _IMAGE_REF.match(ref):
        asset_id, width, height, ext = match.groups()
        return "image", image_path(asset_id, int(width), int(height), ext)
    if match := _FILE_REF.match(ref):
        return "file", file_path(*match.groups())
    return None


def _placeholders(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for node in _walk(doc):
        asset = node.get("asset")
        if isinstance(asset, dict) and isinstance(asset.get("_ref"), str):
            found = _asset_rel(asset["_ref"])
            if found is not None:
                del node["asset"]
                node["_sanityAsset"] = f"{found[0]}@file://./{found[1]}"
    return doc


def build_archive(
    documents: list[dict[str, Any]], files: AssetFiles, *, dataset: str, raw: bool
) -> bytes:
    """A Sanity-layout ``.tar.gz`` of ``documents`` (raw or with asset placeholders)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dt%H-%M-%S-%f")[:-3] + "z"
    root = f"{dataset}-export-{stamp}"
    asset_docs = [d for d in documents if d.get("_type") in ASSET_TYPES]
    data_docs = documents if raw else [
        _placeholders(d) for d in documents if d.get("_type") not in ASSET_TYPES
    ]  # fmt: skip
    meta = {
        d["_id"].rsplit("-", 2 if d["_type"] == "sanity.imageAsset" else 1)[0]: {
            k: v for k, v in d.items() if k not in _ASSET_JSON_DROPPED
        }
        for d in asset_docs
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            archive.addfile(info, io.BytesIO(data))

        add("data.ndjson", to_ndjson(data_docs))
        add("assets.json", json.dumps(meta, indent=2).encode())
        for doc in asset_docs:
            found = _asset_rel(doc["_id"])
            data = files.load(found[1]) if found else None
            if found and data is not None:
                add(found[1], data)
    return buffer.getvalue()


def to_ndjson(documents: list[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for d in documents
    )


def export_store(
    store: LakeStore, files: AssetFiles, target: str | Path, *, dataset: str, raw: bool = False
) -> int:
    """Write the lake to ``target`` (``.ndjson`` is always raw); returns the document count."""
    path = Path(target)
    documents = store.documents()
    if path.name.endswith((".tar.gz", ".tgz")):
        path.write_bytes(build_archive(documents, files, dataset=dataset, raw=raw))
    else:
        path.write_bytes(to_ndjson(documents))
    return len(documents)


# --- pushing to a real Sanity project ---------------------------------------------------------
@dataclass(frozen=True)
class PushReport:
    documents: int
    transactions: int
    assets: int


def _without_system(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("_rev", "_updatedAt")}


def _retarget(doc: dict[str, Any], renamed: dict[str, str]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for node in _walk(doc):
        ref = node.get("_ref")
        if isinstance(ref, str) and ref in renamed:
            node["_ref"] = renamed[ref]
    return doc


def push_export(
    source: str | Path,
    client: Any,
    *,
    batch_size: int = 100,
    progress: Any = None,
) -> PushReport:
    """Seed a Sanity dataset from an export through ``client`` (a :class:`SanityClient`
    with a write token): binaries are uploaded (asset documents cannot be written with
    mutations), then documents go in ``createOrReplace`` transactions of ``batch_size``.
    ``progress(n)`` is called with the number of documents sent after each batch."""
    contents = read_export(source)
    renamed: dict[str, str] = {}
    placeholder_refs: dict[str, str] = {}
    uploads = 0
    upload = {"image": client.upload_image, "file": client.upload_file}
    for doc in contents.documents:
        if doc.get("_type") in ASSET_TYPES:
            found = _asset_rel(doc["_id"])
            data = contents.binaries.get(found[1]) if found else None
            if found and data is not None:
                uploaded = upload[found[0]](data, doc.get("originalFilename") or found[1])
                renamed[doc["_id"]] = uploaded["_id"]
                uploads += 1
    documents = []
    for doc in contents.documents:
        if doc.get("_type") in ASSET_TYPES:
            continue
        doc = _retarget(doc, renamed)
        for node in _walk(doc):
            placeholder = node.get("_sanityAsset")
            if not isinstance(placeholder, str):
                continue
            match = _PLACEHOLDER.match(placeholder)
            if not match or match.group(2) not in contents.binaries:
                raise ExportError(f"{doc['_id']}: asset {placeholder!r} is not in the export")
            rel = match.group(2)
            if rel not in placeholder_refs:
                uploaded = upload[match.group(1)](contents.binaries[rel], PurePosixPath(rel).name)
                placeholder_refs[rel] = uploaded["_id"]
                uploads += 1
            del node["_sanityAsset"]
            node["asset"] = {"_type": "reference", "_ref": placeholder_refs[rel]}
        documents.append(_without_system(doc))
    transactions = 0
    for start in range(0, len(documents), batch_size):
        batch = documents[start : start + batch_size]
        client.mutate([{"createOrReplace": d} for d in batch], visibility="async")
        transactions += 1
        if progress is not None:
            progress(len(batch))
    return PushReport(len(documents), transactions, uploads)
