"""Image and file assets: ids, asset documents, binaries on disk.

Sizes come from the file headers; transparency and colour mode (for the print-readiness
rule) from Pillow, as Sanity computes ``hasAlpha``/``isOpaque`` from the pixels.

Ids follow Sanity: ``image-<sha1>-<W>x<H>-<ext>`` and ``file-<sha1>-<ext>``, so the same bytes
always get the same id (uploading twice returns the existing document).
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
import struct
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, UnidentifiedImageError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+(-\d+x\d+)?\.[a-z0-9]+$")


class AssetError(ValueError):
    """The upload is not an image we can read, or the name is not acceptable."""


def image_size(data: bytes) -> tuple[int, int, str]:
    """``(width, height, extension)`` from PNG, JPEG, GIF or WebP headers."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height, "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", data[6:10])
        return width, height, "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return (*_webp_size(data), "webp")
    if data[:2] == b"\xff\xd8":
        return (*_jpeg_size(data), "jpg")
    raise AssetError("not a PNG, JPEG, GIF or WebP image")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise AssetError("unsupported WebP variant")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            pos += 1
            continue
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise AssetError("JPEG without a frame header")


#: Pillow's modes → the lake's ``metadata.colorMode`` (Sanity's own documents lack it).
_COLOUR_MODES = {
    "1": "grey", "L": "grey", "LA": "grey-alpha", "La": "grey-alpha", "I": "grey",
    "I;16": "grey", "F": "grey", "P": "palette", "PA": "palette", "RGB": "rgb",
    "RGBA": "rgba", "RGBa": "rgba", "RGBX": "rgb", "CMYK": "cmyk", "YCbCr": "rgb",
}  # fmt: skip


def pixel_facts(data: bytes) -> dict[str, Any]:
    """``hasAlpha``, ``isOpaque`` (no pixel less than fully opaque) and ``colorMode``."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            mode = img.mode
            has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
            opaque = True
            if has_alpha:
                alpha = img.convert("RGBA").getchannel("A")
                low, _high = alpha.getextrema()
                opaque = low == 255
    except (UnidentifiedImageError, OSError, ValueError):
        return {"hasAlpha": False, "isOpaque": True}
    return {"hasAlpha": has_alpha, "isOpaque": opaque, "colorMode": _COLOUR_MODES.get(mode, mode)}


def image_path(sha1: str, width: int, height: int, ext: str) -> str:
    return f"images/{sha1}-{width}x{height}.{ext}"


def file_path(sha1: str, ext: str) -> str:
    return f"files/{sha1}.{ext}"


def _extension(filename: str | None, fallback: str) -> str:
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    return suffix if re.fullmatch(r"[a-z0-9]{1,10}", suffix) else fallback


def image_document(
    data: bytes, filename: str | None, *, project_id: str, dataset: str, cdn_base: str
) -> tuple[dict[str, Any], str]:
    """The ``sanity.imageAsset`` document for ``data`` and the binary's relative path."""
    width, height, ext = image_size(data)
    sha1 = hashlib.sha1(data).hexdigest()  # noqa: S324 - Sanity's asset ids are SHA-1
    rel = image_path(sha1, width, height, ext)
    cdn_path = f"images/{project_id}/{dataset}/{sha1}-{width}x{height}.{ext}"
    doc = {
        "_id": f"image-{sha1}-{width}x{height}-{ext}",
        "_type": "sanity.imageAsset",
        "assetId": sha1,
        "extension": ext,
        "mimeType": mimetypes.types_map.get(f".{ext}", "application/octet-stream"),
        "originalFilename": filename or f"{sha1}.{ext}",
        "path": cdn_path,
        "sha1hash": sha1,
        "size": len(data),
        "uploadId": sha1[:32],
        "url": f"{cdn_base.rstrip('/')}/{cdn_path}",
        "metadata": {
            "_type": "sanity.imageMetadata",
            "dimensions": {
                "_type": "sanity.imageDimensions",
                "width": width,
                "height": height,
                "aspectRatio": width / height if height else 0,
            },
            **pixel_facts(data),
        },
    }
    return doc, rel


def file_document(
    data: bytes, filename: str | None, *, project_id: str, dataset: str, cdn_base: str
) -> tuple[dict[str, Any], str]:
    """The ``sanity.fileAsset`` document for ``data`` and the binary's relative path."""
    sha1 = hashlib.sha1(data).hexdigest()  # noqa: S324 - Sanity's asset ids are SHA-1
    ext = _extension(filename, "bin")
    cdn_path = f"files/{project_id}/{dataset}/{sha1}.{ext}"
    doc = {
        "_id": f"file-{sha1}-{ext}",
        "_type": "sanity.fileAsset",
        "assetId": sha1,
        "extension": ext,
        "mimeType": mimetypes.types_map.get(f".{ext}", "application/octet-stream"),
        "originalFilename": filename or f"{sha1}.{ext}",
        "path": cdn_path,
        "sha1hash": sha1,
        "size": len(data),
        "uploadId": sha1[:32],
        "url": f"{cdn_base.rstrip('/')}/{cdn_path}",
    }
    return doc, file_path(sha1, ext)


class AssetFiles:
    """Asset binaries under ``folder/images`` and ``folder/files`` (memory when ``None``)."""

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _check(rel: str) -> tuple[str, str]:
        kind, _, name = rel.partition("/")
        if kind not in ("images", "files") or not _SAFE_NAME.match(name):
            raise AssetError(f"bad asset path {rel!r}")
        return kind, name

    def save(self, rel: str, data: bytes) -> None:
        kind, name = self._check(rel)
        if self.folder is None:
            with self._lock:
                self._memory[rel] = data
            return
        target = self.folder / kind / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            tmp = target.with_suffix(target.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(target)

    def load(self, rel: str) -> bytes | None:
        try:
            kind, name = self._check(rel)
        except AssetError:
            return None
        if self.folder is None:
            return self._memory.get(rel)
        target = self.folder / kind / name
        return target.read_bytes() if target.is_file() else None


def lake_asset_folder(lake_path: str | Path) -> Path:
    """Where the binaries of the lake at ``lake_path`` live: a folder next to the SQLite file."""
    path = Path(lake_path)
    return path.with_name(path.stem + "-assets")
