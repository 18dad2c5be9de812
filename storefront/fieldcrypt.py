"""Personal data encrypted at rest, field by field, and found again through a blind index.

Each personal value (a name, an e-mail, a street, a phone, a stored payload) is sealed on
its own with AES-256-GCM under a sub-key of the newest data key (``DATA_KEYS``, see
:mod:`storefront.crypto`) and stored as text that names its key::

    v1:<key id>:<base64url of 12-byte nonce + ciphertext + 16-byte tag>

so every key still listed decrypts, and ``storefront keys rotate`` can tell which values
still need the newest key. Columns declare it with :class:`EncryptedText` or
:class:`EncryptedJSON`; the database only ever sees the sealed text.

An encrypted e-mail cannot be compared in SQL, so lookups by e-mail go through a *blind
index*: ``<key id>:<base64url HMAC-SHA256(normalised e-mail)>`` under another sub-key,
kept up to date by :func:`keep_blind_index`. Equal addresses give equal indexes under one
key, so :func:`email_matches` asks for the index under every listed key (a lookup keeps
working while a rotation is half done). What the index cannot do: find part of an address
or order values alphabetically.

The cipher belongs to an engine (:func:`attach`), so each app's database uses its own keys;
nothing here is global. An engine with no cipher refuses to read or write personal data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, Engine, Text, event
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

from storefront.crypto import DEV_DATA_KEYS, KeyRing

VERSION = "v1"
NONCE_BYTES = 12
_SEAL_PURPOSE = "field/aes-256-gcm"
_INDEX_PURPOSE = "field/blind-index/email"
# A value is sealed for its purpose, so a sealed blob cannot be passed off as anything else.
_AAD = b"storefront personal data v1"
_ATTR = "storefront_field_cipher"


class FieldCryptError(ValueError):
    """A stored value is not one this shop sealed, or was changed since (tag mismatch)."""


def normalise_email(email: str) -> str:
    """The one rule for "the same address": surrounding space and case do not count."""
    return email.strip().lower()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FieldCipher:
    """Seals and opens field values with a key ring; makes blind indexes of e-mails."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._aead: dict[str, AESGCM] = {}
        self._mac: dict[str, bytes] = {}

    def _seal_key(self, key_id: str) -> AESGCM:
        found = self._aead.get(key_id)
        if found is None:
            key = self.ring.get(key_id)
            found = self._aead[key_id] = AESGCM(key.derive(_SEAL_PURPOSE, b""))
        return found

    def _mac_key(self, key_id: str) -> bytes:
        found = self._mac.get(key_id)
        if found is None:
            found = self._mac[key_id] = self.ring.get(key_id).derive(_INDEX_PURPOSE, b"")
        return found

    # --- values ------------------------------------------------------------------------------
    def encrypt(self, text: str) -> str:
        key_id = self.ring.newest.id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._seal_key(key_id).encrypt(nonce, text.encode("utf-8"), _AAD)
        return f"{VERSION}:{key_id}:{_b64(nonce + sealed)}"

    def decrypt(self, token: str) -> str:
        key_id, raw = self._split(token)
        try:
            opened = self._seal_key(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD)
        except InvalidTag:
            raise FieldCryptError(
                f"a value sealed with data key {key_id!r} does not open: it was changed, or "
                f"DATA_KEYS holds a different key under that id"
            ) from None
        return opened.decode("utf-8")

    def reencrypt(self, token: str) -> str:
        """The value sealed with the newest key (as is when it already is)."""
        if key_id_of(token) == self.ring.newest.id:
            return token
        return self.encrypt(self.decrypt(token))

    @staticmethod
    def _split(token: str) -> tuple[str, bytes]:
        version, _, rest = token.partition(":")
        key_id, _, body = rest.partition(":")
        if version != VERSION or not key_id or not body:
            raise FieldCryptError(
                "a personal-data column holds a value that is not sealed (v1:<key id>:…); "
                "run `storefront db upgrade` to encrypt rows written before encryption"
            )
        try:
            raw = _unb64(body)
        except (binascii.Error, ValueError):
            raise FieldCryptError(f"a value sealed with data key {key_id!r} is damaged") from None
        if len(raw) < NONCE_BYTES + 16:
            raise FieldCryptError(f"a value sealed with data key {key_id!r} is cut off")
        return key_id, raw

    # --- blind index -------------------------------------------------------------------------
    def blind_index(self, email: str, key_id: str | None = None) -> str:
        """The e-mail's index under ``key_id`` (default: the newest key)."""
        key_id = key_id or self.ring.newest.id
        digest = hmac.new(
            self._mac_key(key_id), normalise_email(email).encode("utf-8"), hashlib.sha256
        ).digest()
        return f"{key_id}:{_b64(digest)}"

    def blind_indexes(self, email: str) -> list[str]:
        """The e-mail's index under every listed key: what a lookup asks for."""
        return [self.blind_index(email, key_id) for key_id in self.ring.ids]


def key_id_of(token: str) -> str:
    """The key id a sealed value or a blind index names (without opening it)."""
    if token.startswith(VERSION + ":"):
        return token.split(":", 2)[1]
    return token.split(":", 1)[0]


def development_cipher() -> FieldCipher:
    """The cipher of the well-known development keys (what an app gets outside production
    without ``DATA_KEYS``, and what a bare :class:`~storefront.db.Database` uses)."""
    return FieldCipher(KeyRing.parse(DEV_DATA_KEYS))


# --- the cipher of an engine --------------------------------------------------------------------
def attach(engine: Engine, cipher: FieldCipher) -> None:
    """Make ``engine`` seal and open personal data with ``cipher``."""
    setattr(engine.dialect, _ATTR, cipher)


def has_cipher(engine: Engine) -> bool:
    return getattr(engine.dialect, _ATTR, None) is not None


def cipher_of(dialect: Any) -> FieldCipher:
    cipher = getattr(dialect, _ATTR, None)
    if cipher is None:
        raise RuntimeError(
            "this database engine has no field cipher: build it with storefront.db.Database"
        )
    return cipher  # type: ignore[no-any-return]


def session_cipher(session: Session) -> FieldCipher:
    return cipher_of(session.get_bind().dialect)


# --- column types --------------------------------------------------------------------------------
class EncryptedText(TypeDecorator[str]):
    """A text column whose values are sealed one by one (``None`` stays NULL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(str(value))

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document sealed as a whole (it is never queried inside)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return cipher_of(dialect).encrypt(text)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(cipher_of(dialect).decrypt(value))


class EncryptedBytes(TypeDecorator[bytes]):
    """Binary content sealed as a whole (a stored invoice PDF names its buyer)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(base64.b64encode(value).decode("ascii"))

    def process_result_value(self, value: str | None, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return base64.b64decode(cipher_of(dialect).decrypt(value))


# --- blind index upkeep and lookups ------------------------------------------------------------
#: (table, e-mail column, index column) for every blind index, for ``storefront keys``.
BLIND_INDEXES: list[tuple[str, str, str]] = []


def keep_blind_index(model: type, source: str, target: str) -> None:
    """Whenever a row of ``model`` is written, set ``target`` to the blind index of
    ``source`` under the newest key (so no code path can forget it)."""

    def fill(_mapper: Any, connection: Any, row: Any) -> None:
        value = getattr(row, source)
        index = None if value is None else cipher_of(connection.dialect).blind_index(value)
        if getattr(row, target) != index:
            setattr(row, target, index)

    event.listen(model, "before_insert", fill)
    event.listen(model, "before_update", fill)
    BLIND_INDEXES.append((model.__tablename__, source, target))  # type: ignore[attr-defined]


def email_matches(
    session: Session, index_column: InstrumentedAttribute[str | None], email: str
) -> ColumnElement[bool]:
    """A WHERE clause: rows whose blind index is ``email``'s under any listed key."""
    return index_column.in_(session_cipher(session).blind_indexes(email))
