"""DATA_KEYS: parsed once, newest first, secrets never in messages or reprs."""

import base64
import os

import pytest

from storefront.crypto import DEV_DATA_KEYS, KeyRing, KeyRingError, UnknownKey
from tests.conftest import make_settings


def entry(key_id: str, secret: bytes | None = None) -> str:
    return f"{key_id}:{base64.b64encode(secret or os.urandom(32)).decode()}"


def test_newest_encrypts_and_every_key_is_found_by_id() -> None:
    old, new = os.urandom(32), os.urandom(32)
    ring = KeyRing.parse(f"{entry('k2', new)}, {entry('k1', old)}")
    assert ring.newest.id == "k2"
    assert ring.newest.secret == new
    assert ring.get("k1").secret == old
    assert ring.ids == ("k2", "k1")
    assert "k1" in ring
    with pytest.raises(UnknownKey, match=r"'k0'.*'k2', 'k1'"):
        ring.get("k0")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one key"),
        ("nokey", "entry 1 must be id:base64-key"),
        ("bad id:AAAA", "entry 1 must be id:base64-key"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "must be 32 random bytes"),
    ],
)
def test_a_bad_ring_says_what_is_wrong_without_the_secret(text: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message) as info:
        KeyRing.parse(text)
    secret = text.partition(":")[2]
    assert not secret or secret not in str(info.value)


def test_the_same_id_twice_is_refused() -> None:
    with pytest.raises(KeyRingError, match="only once"):
        KeyRing.parse(f"{entry('k1')},{entry('k1')}")


def test_derived_keys_differ_by_purpose_and_salt_and_never_equal_the_key() -> None:
    key = KeyRing.parse(entry("k1")).newest
    a = key.derive("backup/aes-256-gcm", b"salt-1")
    assert a == key.derive("backup/aes-256-gcm", b"salt-1")
    assert a != key.derive("backup/aes-256-gcm", b"salt-2")
    assert a != key.derive("field/aes-256-gcm", b"salt-1")
    assert a != key.secret
    assert len(a) == 32


def test_settings_hold_the_ring_and_hide_the_keys() -> None:
    secret = os.urandom(32)
    settings = make_settings(data_keys=entry("k7", secret))
    assert settings.data_key_ring.newest.id == "k7"
    assert base64.b64encode(secret).decode() not in repr(settings)
    assert secret.hex() not in repr(settings.data_key_ring)
    assert make_settings().data_key_ring.ids == KeyRing.parse(DEV_DATA_KEYS).ids
