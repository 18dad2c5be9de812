from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from contentlake.assets import AssetError, AssetFiles, image_size
from storefront.sanity.images import (
    ImageRefError,
    cdn_base_for,
    file_url,
    image_url,
    parse_image_ref,
)
from tests.contentlake.support import jpeg_bytes, png_bytes

REF = "image-Tb9Ew8CXIwaY6R1kjMvI0uRR-2000x3000-jpg"
CROPPED = {
    "_type": "image",
    "asset": {"_ref": REF, "_type": "reference"},
    "crop": {"bottom": 0.1, "left": 0.1, "right": 0.1, "top": 0.1},
    "hotspot": {"height": 0.3, "width": 0.3, "x": 0.3, "y": 0.3},
}
BASE = "https://cdn.sanity.io/images/zp7mbokg/production/Tb9Ew8CXIwaY6R1kjMvI0uRR-2000x3000.jpg"


def url(source: object, **params: object) -> str:
    return image_url(source, project_id="zp7mbokg", dataset="production", **params)


def test_plain_urls_from_refs() -> None:
    assert url(REF) == BASE
    assert url({"asset": {"_ref": REF}}, w=80) == f"{BASE}?w=80"
    assert url({"asset": {"_id": REF}}, auto="format", max_w=300) == f"{BASE}?max-w=300&auto=format"
    assert parse_image_ref(REF) == ("Tb9Ew8CXIwaY6R1kjMvI0uRR", 2000, 3000, "jpg")
    with pytest.raises(ImageRefError):
        url("file-abc-pdf")


def test_rect_follows_crop_and_hotspot_like_image_url() -> None:
    # image-url's "constrains aspect ratio" snapshot for this fixture
    assert url(CROPPED, w=100, h=80) == f"{BASE}?rect=200,300,1600,1280&w=100&h=80"
    # only width: the crop alone
    assert url(CROPPED, w=100) == f"{BASE}?rect=200,300,1600,2400&w=100"


def test_image_url_snapshot_cases() -> None:
    # cases from @sanity/image-url's builder snapshots
    wide = "image-vK7bXJPEjVpL_C950gH1N73Zv14r7pYsbUdXl-4288x2848-jpg"
    wide_base = BASE.rsplit("/", 1)[0] + "/vK7bXJPEjVpL_C950gH1N73Zv14r7pYsbUdXl-4288x2848.jpg"
    assert url({"asset": {"_ref": wide}}, w=80) == f"{wide_base}?w=80"
    assert (
        url({"asset": {"_ref": wide}}, w=80, h=80) == f"{wide_base}?rect=720,0,2848,2848&w=80&h=80"
    )
    assert url(CROPPED) == f"{BASE}?rect=200,300,1600,2400"
    assert url(CROPPED, w=320, h=240) == f"{BASE}?rect=200,300,1600,1200&w=320&h=240"
    assert url(CROPPED, w=100, h=80, fp_x=10, fp_y=20) == f"{BASE}?fp-x=10&fp-y=20&w=100&h=80"
    assert url(CROPPED, w=100, h=80, crop="center") == f"{BASE}?w=100&h=80&crop=center"
    hotspot_only = {"asset": {"_ref": REF}, "hotspot": CROPPED["hotspot"]}
    assert url(hotspot_only) == BASE


def test_no_rect_when_nothing_is_cut_and_explicit_rect_wins() -> None:
    uncropped = {"asset": {"_ref": REF}}
    assert url(uncropped, w=200, h=300) == f"{BASE}?w=200&h=300"
    assert url(CROPPED, w=10, h=10, rect="1,2,3,4") == f"{BASE}?rect=1,2,3,4&w=10&h=10"
    assert "rect" not in url(CROPPED, w=100, h=80, crop="center")


def test_wide_crop_centres_on_the_hotspot() -> None:
    landscape = {
        "asset": {"_ref": "image-abc-3000x1000-png"},
        "hotspot": {"x": 0.9, "y": 0.5, "width": 0.1, "height": 0.1},
    }
    # 1:1 window of 1000px, centred at x=2700 → clamped to the right edge
    assert "rect=2000,0,1000,1000" in image_url(landscape, project_id="p", dataset="d", w=50, h=50)


def test_cdn_base_and_file_urls() -> None:
    assert cdn_base_for("https://abc.api.sanity.io") == "https://cdn.sanity.io"
    assert cdn_base_for("http://127.0.0.1:8000/_emulators/sanity") == (
        "http://127.0.0.1:8000/_emulators/sanity"
    )
    assert file_url("file-abc123-pdf", project_id="p", dataset="d") == (
        "https://cdn.sanity.io/files/p/d/abc123.pdf"
    )


def test_image_sizes_without_pillow_at_runtime() -> None:
    assert image_size(png_bytes(41, 17)) == (41, 17, "png")
    assert image_size(jpeg_bytes(64, 48)) == (64, 48, "jpg")
    for fmt, ext in (("GIF", "gif"), ("WEBP", "webp")):
        buffer = io.BytesIO()
        Image.new("RGB", (33, 21), "red").save(buffer, fmt)
        assert image_size(buffer.getvalue()) == (33, 21, ext)
    for bad in (b"", b"hello", b"\xff\xd8\xff\xd9"):
        with pytest.raises(AssetError):
            image_size(bad)


def test_asset_files_refuse_path_tricks(tmp_path: Path) -> None:
    files = AssetFiles(tmp_path)
    files.save("images/abc-1x1.png", b"x")
    assert files.load("images/abc-1x1.png") == b"x"
    assert files.load("images/../../etc-1x1.png") is None
    with pytest.raises(AssetError):
        files.save("../x.png", b"x")
    memory = AssetFiles(None)
    memory.save("files/abc.pdf", b"pdf")
    assert memory.load("files/abc.pdf") == b"pdf" and memory.load("files/nope.pdf") is None
