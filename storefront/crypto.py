"""The shop's data keys: what encrypts personal data at rest (backups now, fields later).

``DATA_KEYS`` lists the keys, newest first: ``"k2:<base64 of 32 bytes>,k1:<base64…>"``.
The newest key encrypts; every listed key decrypts, so a key is rotated by putting a new one
in front and dropping the old one only once nothing encrypted with it is kept any more
(backups past their retention, re-encrypted fields). Whatever is encrypted records the *id*
of its key, never the key.

A key is never used directly for two purposes: :meth:`DataKey.derive` makes a sub-key per
purpose and salt (HKDF-SHA256), so a backup archive and an encrypted field never share a
key, and each archive gets keys of its own.

Make a key with ``python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

#: The development key ring: known to everyone, so refused in production.
DEV_DATA_KEYS = "dev:" + base64.b64encode(
    hashlib.sha256(b"storefront development data key, never for production").digest()
).decode("ascii")


class KeyRingError(ValueError):
    """``DATA_KEYS`` cannot be read; the message says what to fix."""


class UnknownKey(LookupError):
    """Something was encrypted with a key that is not (any more) in ``DATA_KEYS``."""

    def __init__(self, key_id: str, known: Iterable[str]) -> None:
        self.key_id = key_id
        self.known = tuple(known)
        super().__init__(
            f"encrypted with data key {key_id!r}, which DATA_KEYS does not hold "
            f"(it holds {', '.join(repr(k) for k in self.known)})"
        )


@dataclass(frozen=True)
class DataKey:
    id: str
    secret: bytes = field(repr=False)

    def derive(self, purpose: str, salt: bytes, length: int = KEY_BYTES) -> bytes:
        """A sub-key for one purpose (e.g. ``"backup/aes-256-gcm"``) and one salt."""
        return HKDF(
            algorithm=hashes.SHA256(),
            length=length,
            salt=salt,
            info=f"storefront/{purpose}".encode(),
        ).derive(self.secret)


class KeyRing:
    """The keys of ``DATA_KEYS``: :attr:`newest` encrypts, :meth:`get` finds any by id."""

    def __init__(self, keys: Iterable[DataKey]) -> None:
        self._keys = tuple(keys)
        if not self._keys:
            raise KeyRingError("no key given")
        ids = [k.id for k in self._keys]
        if len(set(ids)) != len(ids):
            raise KeyRingError("each key id may appear only once")

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Read ``"id:base64,id:base64"`` (newest first); :class:`KeyRingError` names the
        entry that is wrong, never its secret."""
        keys = []
        for number, entry in enumerate((e.strip() for e in text.split(",")), start=1):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep or not _KEY_ID.match(key_id):
                raise KeyRingError(
                    f"entry {number} must be id:base64-key, the id made of letters, digits, "
                    "'.', '_' or '-' (at most 32)"
                )
            try:
                secret = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"key {key_id!r} is not valid base64") from None
            if len(secret) != KEY_BYTES:
                raise KeyRingError(
                    f"key {key_id!r} must be {KEY_BYTES} random bytes, base64-encoded "
                    f"(it is {len(secret)})"
                )
            keys.append(DataKey(key_id, secret))
        if not keys:
            raise KeyRingError("list at least one key as id:base64-key")
        return cls(keys)

    @property
    def newest(self) -> DataKey:
        return self._keys[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self._keys)

    def get(self, key_id: str) -> DataKey:
        for key in self._keys:
            if key.id == key_id:
                return key
        raise UnknownKey(key_id, self.ids)

    def __contains__(self, key_id: object) -> bool:
        return any(k.id == key_id for k in self._keys)

    def __repr__(self) -> str:
        return f"KeyRing(ids={self.ids!r})"
