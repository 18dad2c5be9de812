"""The sealed container of a backup: AES-256-GCM in blocks (the "STREAM" construction).

::

    b"SFBACKUP" | u32 header length | header (JSON) | block | block | … | last block
    block = u32 ciphertext length | ciphertext (≤ 1 MiB of plaintext + 16-byte tag)

The header is readable without the key and says nothing personal: the format version, the
id of the data key, a random salt, a key check value and ``meta`` (when the backup was
made, the schema revision, the database dialect, the content source). Every block
authenticates the whole header, so it cannot be altered either.

From the data key and the salt, HKDF derives this archive's own encryption key and a check
value (:meth:`storefront.crypto.DataKey.derive`): the check tells "wrong key" from "damaged
archive" before anything is decrypted. A block's nonce is its number (8 bytes), three zero
bytes and a last-block flag; the flag makes an archive cut off at a block boundary as
detectable as one cut anywhere else, and blocks cannot be reordered or dropped unnoticed.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storefront.backups.errors import (
    ArchiveRefused,
    CorruptArchive,
    NotAnArchive,
    TruncatedArchive,
    WrongKey,
)
from storefront.crypto import DataKey, KeyRing, UnknownKey

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

MAGIC = b"SFBACKUP"
VERSION = 1
BLOCK = 1 << 20
TAG = 16
MAX_HEADER = 64 * 1024
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Header:
    version: int
    key_id: str
    salt: bytes
    key_check: bytes
    meta: dict[str, Any]
    raw: bytes  # what every block authenticates: magic, length and JSON

    @property
    def size(self) -> int:
        return len(self.raw)


def _derive(key: DataKey, salt: bytes) -> tuple[bytes, bytes]:
    return key.derive("backup/v1/aes-256-gcm", salt), key.derive("backup/v1/key-check", salt, 16)


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(8, "big") + b"\0\0\0" + (b"\1" if last else b"\0")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class SealingWriter(io.RawIOBase):
    """A write-only file that seals what it is given into ``out``; :meth:`close` writes
    the last block (the archive is incomplete until then)."""

    def __init__(self, out: BinaryIO, key: DataKey, meta: dict[str, Any]) -> None:
        super().__init__()
        salt = os.urandom(16)
        encryption_key, check = _derive(key, salt)
        body = json.dumps(
            {
                "format": "storefront-backup",
                "version": VERSION,
                "key_id": key.id,
                "salt": _b64(salt),
                "key_check": _b64(check),
                "block_size": BLOCK,
                "meta": meta,
            },
            sort_keys=True,
        ).encode()
        self._aad = MAGIC + _LENGTH.pack(len(body)) + body
        self._aead = AESGCM(encryption_key)
        self._out = out
        self._buffer = bytearray()
        self._number = 0
        out.write(self._aad)

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data)
        self._buffer += view
        while len(self._buffer) > BLOCK:  # the last block is written by close(), never here
            self._emit(bytes(self._buffer[:BLOCK]), last=False)
            del self._buffer[:BLOCK]
        return view.nbytes

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()

    def _emit(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._number, last), plain, self._aad)
        self._out.write(_LENGTH.pack(len(sealed)) + sealed)
        self._number += 1


def read_header(src: BinaryIO) -> Header:
    """The header at the start of ``src`` (left positioned at the first block)."""
    magic = src.read(len(MAGIC))
    if magic != MAGIC:
        raise NotAnArchive("this is not a storefront backup (it does not start with SFBACKUP)")
    length = src.read(_LENGTH.size)
    if len(length) < _LENGTH.size:
        raise TruncatedArchive("the archive ends inside its header: it was cut off")
    (size,) = _LENGTH.unpack(length)
    if size > MAX_HEADER:
        raise CorruptArchive("the archive's header is damaged (impossible length)")
    body = src.read(size)
    if len(body) < size:
        raise TruncatedArchive("the archive ends inside its header: it was cut off")
    try:
        data = json.loads(body)
        version = int(data["version"])
        if version > VERSION:
            raise ArchiveRefused(
                f"this backup was written by a newer version of the shop (archive format "
                f"{version}; this version reads up to {VERSION}): restore it with that version"
            )
        return Header(
            version=version,
            key_id=str(data["key_id"]),
            salt=base64.b64decode(data["salt"]),
            key_check=base64.b64decode(data["key_check"]),
            meta=dict(data.get("meta") or {}),
            raw=magic + length + body,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptArchive(f"the archive's header is damaged ({exc})") from None


def check_key(header: Header, ring: KeyRing) -> bytes:
    """This archive's encryption key, or :class:`WrongKey` saying which key it needs."""
    try:
        key = ring.get(header.key_id)
    except UnknownKey:
        raise WrongKey(
            f"this backup was sealed with data key {header.key_id!r}, which DATA_KEYS does "
            f"not hold (it holds {', '.join(repr(i) for i in ring.ids)}): add that key to "
            "DATA_KEYS, after the newest one"
        ) from None
    encryption_key, check = _derive(key, header.salt)
    if not hmac.compare_digest(check, header.key_check):
        raise WrongKey(
            f"DATA_KEYS holds a key named {header.key_id!r}, but not the one this backup was "
            "sealed with: set DATA_KEYS as it was when the backup was made"
        )
    return encryption_key


class UnsealingReader(io.RawIOBase):
    """The plaintext of an archive, block by block, each one authenticated before any of
    it is returned. Raises :class:`TruncatedArchive` or :class:`CorruptArchive`."""

    def __init__(self, src: BinaryIO, header: Header, ring: KeyRing) -> None:
        super().__init__()
        self._aead = AESGCM(check_key(header, ring))
        self._src = src
        self._aad = header.raw
        self._pending = b""
        self._number = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending and not self._done:
            self._pending = self._next_block()
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _next_block(self) -> bytes:
        length = self._src.read(_LENGTH.size)
        if len(length) < _LENGTH.size:
            raise TruncatedArchive(
                f"the archive ends after {self._number} block(s) without its last one: it was "
                "cut off (an interrupted upload or copy)"
            )
        (size,) = _LENGTH.unpack(length)
        if not TAG <= size <= BLOCK + TAG:
            raise CorruptArchive(f"block {self._number + 1} of the archive is damaged")
        sealed = self._src.read(size)
        if len(sealed) < size:
            raise TruncatedArchive(
                f"the archive ends inside block {self._number + 1}: it was cut off "
                "(an interrupted upload or copy)"
            )
        for last in (False, True):
            try:
                plain = self._aead.decrypt(_nonce(self._number, last), sealed, self._aad)
            except InvalidTag:
                continue
            self._number += 1
            if last:
                self._done = True
                if self._src.read(1):
                    raise CorruptArchive("there are stray bytes after the archive's last block")
            return plain
        raise CorruptArchive(
            f"block {self._number + 1} of the archive is damaged (it does not authenticate)"
        )
