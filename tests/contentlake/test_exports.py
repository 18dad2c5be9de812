"""Sanity export archives in and out of the lake, and pushing an export through the client."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from contentlake.assets import AssetFiles
from contentlake.exports import (
    ExportError,
    build_archive,
    export_store,
    import_export,
    push_export,
    read_export,
)
from contentlake.store import LakeStore
from storefront.config import REPO_ROOT
from tests.contentlake.support import LIVE, PROJECT, Lake, png_bytes

PNG = png_bytes(40, 30)
SHA = hashlib.sha1(PNG).hexdigest()  # noqa: S324 - asset ids are SHA-1
REF = f"image-{SHA}-40x30-png"
DOCS: list[dict[str, Any]] = [
    {
        "_id": "p1",
        "_type": "product",
        "_rev": "r1",
        "_createdAt": "2026-01-01T00:00:00Z",
        "_updatedAt": "2026-01-02T00:00:00Z",
        "title": "Doom Tee",
        "image": {
            "_type": "image",
            "_sanityAsset": f"image@file://./images/{SHA}-40x30.png",
            "hotspot": {"x": 0.5, "y": 0.5, "width": 1, "height": 1},
        },
        "gallery": [
            {
                "_key": "g1",
                "_type": "image",
                "_sanityAsset": f"image@file://./images/{SHA}-40x30.png",
            }
        ],
        "chart": {"_type": "file", "_sanityAsset": "file@file://./files/abc123.pdf"},
    },
    {"_id": "drafts.p1", "_type": "product", "title": "Doom Tee v2"},
    {"_id": "c1", "_type": "category", "title": "Shirts"},
]
ASSETS_JSON = {f"image-{SHA}": {"originalFilename": "doom.png", "label": "front"}}


def write_folder(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "files").mkdir()
    (root / "data.ndjson").write_text("\n".join(json.dumps(d) for d in DOCS) + "\n")
    (root / "assets.json").write_text(json.dumps(ASSETS_JSON))
    (root / "images" / f"{SHA}-40x30.png").write_bytes(PNG)
    (root / "files" / "abc123.pdf").write_bytes(b"%PDF chart")
    return root


def write_tar(folder: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as archive:
        archive.add(folder, arcname="production-export-2026-01-01t00-00-00-000z")
    return target


def load(source: Path, store: LakeStore, files: AssetFiles, **kw: Any) -> Any:
    return import_export(
        source, store, files, project_id=PROJECT, dataset="production", cdn_base=LIVE, **kw
    )


def check_imported(store: LakeStore, files: AssetFiles) -> None:
    product = store.get("p1")
    assert product["image"]["asset"] == {"_type": "reference", "_ref": REF}
    assert "_sanityAsset" not in product["image"] and product["image"]["hotspot"]["x"] == 0.5
    assert product["gallery"][0]["asset"]["_ref"] == REF
    assert product["chart"]["asset"]["_ref"] == "file-abc123-pdf"
    assert product["_rev"] == "r1" and product["_updatedAt"] == "2026-01-02T00:00:00Z"
    asset = store.get(REF)
    assert asset["_type"] == "sanity.imageAsset"
    assert asset["metadata"]["dimensions"]["height"] == 30
    assert asset["originalFilename"] == "doom.png" and asset["label"] == "front"
    assert asset["url"] == f"{LIVE}/images/{PROJECT}/production/{SHA}-40x30.png"
    assert store.get("file-abc123-pdf")["_type"] == "sanity.fileAsset"
    assert files.load(f"images/{SHA}-40x30.png") == PNG
    assert files.load("files/abc123.pdf") == b"%PDF chart"
    assert store.get("drafts.p1")["title"] == "Doom Tee v2"


def test_import_unpacked_non_raw_export_folder(lake: Lake, tmp_path: Path) -> None:
    report = load(write_folder(tmp_path / "export"), lake.store, lake.files)
    assert (report.documents, report.written, report.assets) == (5, 5, 2)
    check_imported(lake.store, lake.files)
    image = lake.store.get("p1")["image"]
    assert lake.http.get(lake.client().image_url(image)).content == PNG  # as imported
    resized = lake.http.get(lake.client().image_url(image, w=10))  # and transformable
    assert resized.status_code == 200 and resized.content.startswith(b"\x89PNG")


def test_import_tar_gz_and_import_twice_changes_nothing(lake: Lake, tmp_path: Path) -> None:
    archive = write_tar(write_folder(tmp_path / "export"), tmp_path / "export.tar.gz")
    load(archive, lake.store, lake.files)
    check_imported(lake.store, lake.files)
    revs = {d["_id"]: d["_rev"] for d in lake.store.documents()}
    again = load(archive, lake.store, lake.files)
    assert (again.written, again.deleted) == (0, 0)
    assert {d["_id"]: d["_rev"] for d in lake.store.documents()} == revs


def test_replace_removes_documents_not_in_the_export(lake: Lake, tmp_path: Path) -> None:
    lake.store.put_documents([{"_id": "old", "_type": "t"}])
    report = load(write_folder(tmp_path / "e"), lake.store, lake.files, replace=True)
    assert report.deleted == 1 and lake.store.get("old") is None


def test_raw_ndjson_loads_as_is(lake: Lake, tmp_path: Path) -> None:
    raw = [
        {"_id": "p1", "_type": "product", "image": {"asset": {"_ref": REF}}},
        {"_id": REF, "_type": "sanity.imageAsset", "url": "https://cdn.sanity.io/x"},
    ]
    path = tmp_path / "raw.ndjson"
    path.write_text("\n".join(json.dumps(d) for d in raw) + "\n\n")
    report = load(path, lake.store, lake.files)
    assert report.written == 2
    assert lake.store.get(REF)["url"] == "https://cdn.sanity.io/x"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('{"_id": "a", "_type": "t"}\n{oops\n', ":2: not JSON"),
        ('["not a document"]\n', "not a document"),
        (
            json.dumps(
                {"_id": "a", "_type": "t", "i": {"_sanityAsset": "image@file://./images/x-1x1.png"}}
            ),
            "not in the export",
        ),
        (
            json.dumps({"_id": "a", "_type": "t", "i": {"_sanityAsset": "image@https://x/y.png"}}),
            "unsupported",
        ),
    ],
)
def test_bad_exports_are_refused_before_writing(
    lake: Lake, tmp_path: Path, lines: str, message: str
) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text(lines)
    with pytest.raises(ExportError, match=message):
        load(path, lake.store, lake.files)
    assert len(lake.store) == 0


def test_missing_data_ndjson(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match=r"data\.ndjson"):
        read_export(tmp_path / "empty")
    with tarfile.open(tmp_path / "x.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("top/readme.txt")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(ExportError, match=r"data\.ndjson"):
        read_export(tmp_path / "x.tar.gz")
    with pytest.raises(ExportError, match="no such"):
        read_export(tmp_path / "nope.ndjson")


def test_export_round_trip_non_raw_and_raw(lake: Lake, tmp_path: Path) -> None:
    load(write_folder(tmp_path / "e"), lake.store, lake.files)
    out = tmp_path / "out.tar.gz"
    assert export_store(lake.store, lake.files, out, dataset="production") == 5
    with tarfile.open(out) as archive:
        names = archive.getnames()
        (data_name,) = [n for n in names if n.endswith("/data.ndjson")]
        assert data_name.startswith("production-export-")
        handle = archive.extractfile(data_name)
        assert handle is not None
        exported = [json.loads(line) for line in handle.read().splitlines()]
    assert any(n.endswith(f"images/{SHA}-40x30.png") for n in names)
    assert {d["_type"] for d in exported} == {"product", "category"}
    p1 = next(d for d in exported if d["_id"] == "p1")
    assert p1["image"]["_sanityAsset"] == f"image@file://./images/{SHA}-40x30.png"

    again = LakeStore(tmp_path / "again.sqlite3")
    files = AssetFiles(tmp_path / "again-assets")
    load(out, again, files)
    check_imported(again, files)
    assert {d["_id"] for d in again.documents()} == {d["_id"] for d in lake.store.documents()}
    again.close()

    raw = build_archive(lake.store.documents(), lake.files, dataset="production", raw=True)
    with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
        data = next(n for n in archive.getnames() if n.endswith("data.ndjson"))
        handle = archive.extractfile(data)
        assert handle is not None
        types = {json.loads(line)["_type"] for line in handle.read().splitlines()}
    assert "sanity.imageAsset" in types

    ndjson = tmp_path / "out.ndjson"
    export_store(lake.store, lake.files, ndjson, dataset="production")
    assert len(ndjson.read_text().splitlines()) == 5


def test_push_export_uploads_assets_and_batches(lake: Lake, tmp_path: Path) -> None:
    seen: list[int] = []
    report = push_export(
        write_folder(tmp_path / "e"), lake.client(), batch_size=2, progress=seen.append
    )
    assert (report.documents, report.transactions, report.assets) == (3, 2, 2)
    assert seen == [2, 1]
    product = lake.store.get("p1")
    assert product["image"]["asset"]["_ref"] == REF
    assert product["_rev"] != "r1"  # written by a real transaction
    assert lake.files.load(f"images/{SHA}-40x30.png") == PNG
    mutations = [r for r in lake.transport.requests if "/data/mutate/" in r.url.path]
    assert len(mutations) == 2


DEMO = REPO_ROOT / "cms_schema" / "demo"


@pytest.mark.skipif(not (DEMO / "data.ndjson").is_file(), reason="demo catalog not present yet")
def test_demo_catalog_imports(lake: Lake) -> None:
    report = load(DEMO, lake.store, lake.files)
    assert report.documents > 0 and len(lake.store) == report.documents
    for doc in lake.store.documents():
        assert "_sanityAsset" not in json.dumps(doc)
