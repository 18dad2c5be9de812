"""An archive's contents: a gzipped tar whose first member is the manifest, sealed by
:mod:`storefront.backups.envelope`.

:func:`write_archive` checksums every file of a staging folder into the manifest and seals
the tar as it is written (nothing unencrypted touches the disk but the staging folder).
:func:`read_archive` streams it back: every block is authenticated, every file's size and
SHA-256 compared with the manifest, nothing missing, nothing extra. Without ``into`` it only
checks (``storefront backup verify``); with ``into`` it also unpacks, and the caller uses
what it unpacked only once the whole archive passed.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from storefront.backups.envelope import (
    BLOCK,
    Header,
    SealingWriter,
    UnsealingReader,
    read_header,
)
from storefront.backups.errors import CorruptArchive
from storefront.crypto import DataKey, KeyRing

MANIFEST = "manifest.json"
_PIECE = 1 << 16


@dataclass(frozen=True)
class Manifest:
    header: Header
    data: dict[str, Any]

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("files") or {})

    @property
    def database(self) -> dict[str, Any]:
        return dict(self.data.get("database") or {})

    @property
    def content(self) -> dict[str, Any]:
        return dict(self.data.get("content") or {})

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.data["created_at"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(_PIECE):
            digest.update(piece)
    return digest.hexdigest()


def write_archive(
    staging: Path, out: BinaryIO, key: DataKey, *, meta: dict[str, Any], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Seal every file under ``staging`` into ``out`` with ``manifest`` (plus the files'
    sizes and checksums) first; returns the manifest as written."""
    files = {
        path.relative_to(staging).as_posix(): {
            "size": path.stat().st_size,
            "sha256": sha256_of(path),
        }
        for path in sorted(p for p in staging.rglob("*") if p.is_file())
    }
    written = {**manifest, "files": files}
    body = json.dumps(written, indent=2, sort_keys=True).encode()
    writer = SealingWriter(out, key, meta)
    with tarfile.open(fileobj=writer, mode="w|gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(body), int(time.time())
        tar.addfile(info, io.BytesIO(body))
        for name in files:
            tar.add(staging / name, arcname=name, recursive=False)
    writer.close()
    return written


def _safe_target(into: Path, name: str) -> Path:
    parts = PurePosixPath(name).parts
    if PurePosixPath(name).is_absolute() or ".." in parts or not parts:
        raise CorruptArchive(f"{name!r}: a path outside the archive")
    return into.joinpath(*parts)


def read_archive(src: BinaryIO, ring: KeyRing, *, into: Path | None = None) -> Manifest:
    """Authenticate and checksum the whole archive; unpack it into ``into`` when given."""
    header = read_header(src)
    stream = io.BufferedReader(UnsealingReader(src, header, ring), buffer_size=BLOCK)
    try:
        with tarfile.open(fileobj=stream, mode="r|gz") as tar:
            data = _read_members(tar, into)
        while stream.read(BLOCK):  # the tar ended: read on, so the last block is checked too
            pass
    except (tarfile.TarError, zlib.error, EOFError, ValueError, KeyError) as exc:
        raise CorruptArchive(f"the archive's contents cannot be read ({exc})") from exc
    return Manifest(header, data)


def _read_members(tar: tarfile.TarFile, into: Path | None) -> dict[str, Any]:
    manifest: dict[str, Any] | None = None
    expected: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for member in tar:
        handle = tar.extractfile(member) if member.isfile() else None
        if manifest is None:
            if member.name != MANIFEST or handle is None:
                raise CorruptArchive("the archive does not start with its manifest")
            manifest = json.loads(handle.read())
            expected = dict(manifest["files"])
            continue
        if handle is None or member.name not in expected or member.name in seen:
            raise CorruptArchive(f"{member.name}: not in the manifest")
        digest, size = hashlib.sha256(), 0
        target = _safe_target(into, member.name) if into is not None else None
        out = None
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = target.open("wb")
        try:
            while piece := handle.read(_PIECE):
                digest.update(piece)
                size += len(piece)
                if out is not None:
                    out.write(piece)
        finally:
            if out is not None:
                out.close()
        want = expected[member.name]
        if size != want["size"] or digest.hexdigest() != want["sha256"]:
            raise CorruptArchive(f"{member.name}: its checksum does not match the manifest")
        seen.add(member.name)
    if manifest is None:
        raise CorruptArchive("the archive is empty")
    missing = sorted(set(expected) - seen)
    if missing:
        raise CorruptArchive(f"missing from the archive: {', '.join(missing)}")
    return manifest
