"""The sealed archive: round trip, key rotation, and every kind of damage refused."""

from __future__ import annotations

import base64
import io
import os
import struct
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storefront.backups.archive import read_archive, write_archive
from storefront.backups.envelope import BLOCK, read_header
from storefront.backups.errors import (
    ArchiveRefused,
    CorruptArchive,
    NotAnArchive,
    TruncatedArchive,
    WrongKey,
)
from storefront.crypto import KeyRing

K1 = "k1:" + base64.b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.b64encode(b"2" * 32).decode()
META = {"created_at": "2031-01-06T12:00:00+00:00", "schema": "0005", "database": "sqlite"}


def seal(folder: Path, ring: KeyRing, files: dict[str, bytes]) -> bytes:
    staging = folder / "staging"
    for name, data in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(data)
    out = io.BytesIO()
    write_archive(staging, out, ring.newest, meta=META, manifest={"created_at": META["created_at"]})
    return out.getvalue()


@cache
def small_archive() -> bytes:
    """Three blocks' worth (so cuts and flips land in the header, middle and last block)."""
    with tempfile.TemporaryDirectory() as tmp:
        return seal(
            Path(tmp),
            KeyRing.parse(K1),
            {
                "database/storefront.sqlite3": os.urandom(2 * BLOCK + 1000),
                "content/data.ndjson": b'{"_id":"a","_type":"t"}\n',
            },
        )


def test_round_trip_unpacks_every_file_as_it_was(tmp_path: Path) -> None:
    files = {"database/x.bin": os.urandom(BLOCK + 7), "content/data.ndjson": b"{}\n"}
    raw = seal(tmp_path, KeyRing.parse(K1), files)
    manifest = read_archive(io.BytesIO(raw), KeyRing.parse(K1), into=tmp_path / "out")
    assert set(manifest.files) == set(files)
    for name, data in files.items():
        assert (tmp_path / "out" / name).read_bytes() == data
    assert manifest.header.key_id == "k1"
    assert manifest.header.meta == META


def test_nothing_personal_is_readable_without_the_key(tmp_path: Path) -> None:
    secret = b"janet.quill@example.org, 17 Marrow Lane"
    raw = seal(tmp_path, KeyRing.parse(K1), {"database/x.sqlite3": secret * 100})
    assert secret not in raw
    assert b"Marrow" not in raw


def test_after_rotation_new_archives_use_the_newest_key_and_old_ones_still_open(
    tmp_path: Path,
) -> None:
    old = seal(tmp_path / "a", KeyRing.parse(K1), {"content/data.ndjson": b"old\n"})
    rotated = KeyRing.parse(f"{K2},{K1}")
    new = seal(tmp_path / "b", rotated, {"content/data.ndjson": b"new\n"})
    assert read_header(io.BytesIO(new)).key_id == "k2"
    assert read_archive(io.BytesIO(old), rotated).header.key_id == "k1"
    with pytest.raises(WrongKey, match="'k2', which DATA_KEYS does not hold"):
        read_archive(io.BytesIO(new), KeyRing.parse(K1))


def test_a_key_of_the_same_name_but_other_bytes_is_told_apart_from_damage() -> None:
    impostor = KeyRing.parse("k1:" + base64.b64encode(b"x" * 32).decode())
    with pytest.raises(WrongKey, match="holds a key named 'k1', but not the one"):
        read_archive(io.BytesIO(small_archive()), impostor)


def test_not_an_archive() -> None:
    with pytest.raises(NotAnArchive, match="not a storefront backup"):
        read_archive(io.BytesIO(b"PK\x03\x04 a zip file"), KeyRing.parse(K1))


def test_cut_at_a_block_boundary_is_still_truncated() -> None:
    raw = small_archive()
    (header_length,) = struct.unpack(">I", raw[8:12])
    first = 12 + header_length
    (size,) = struct.unpack(">I", raw[first : first + 4])
    with pytest.raises(TruncatedArchive, match="without its last one"):
        read_archive(io.BytesIO(raw[: first + 4 + size]), KeyRing.parse(K1))


def test_stray_bytes_after_the_end_are_refused() -> None:
    with pytest.raises(CorruptArchive, match="stray bytes"):
        read_archive(io.BytesIO(small_archive() + b"\0"), KeyRing.parse(K1))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_cut_is_refused(data: st.DataObject) -> None:
    raw = small_archive()
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    with pytest.raises(ArchiveRefused):
        read_archive(io.BytesIO(raw[:cut]), KeyRing.parse(K1))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_flipped_byte_is_refused(data: st.DataObject) -> None:
    raw = bytearray(small_archive())
    at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[at] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(ArchiveRefused):
        read_archive(io.BytesIO(bytes(raw)), KeyRing.parse(K1))
