"""The field cipher: sealed values name their key, open with any listed key, refuse tampering;
the blind index finds an e-mail whatever its case, under every listed key."""

from __future__ import annotations

import base64

import pytest

from storefront.crypto import KeyRing, UnknownKey
from storefront.fieldcrypt import FieldCipher, FieldCryptError, key_id_of
from tests.support.fieldcrypt import key

K1, K2 = key("k1"), key("k2")


def cipher(keys: str) -> FieldCipher:
    return FieldCipher(KeyRing.parse(keys))


def test_a_value_is_sealed_with_the_newest_key_and_names_it() -> None:
    c = cipher(f"{K2},{K1}")
    sealed = c.encrypt("Kastanienallee 1")
    assert sealed.startswith("v1:k2:") and key_id_of(sealed) == "k2"
    assert "Kastanienallee" not in sealed
    assert c.decrypt(sealed) == "Kastanienallee 1"
    assert c.encrypt("Kastanienallee 1") != sealed  # a fresh nonce every time


def test_older_keys_still_open_and_reencrypt_moves_to_the_newest() -> None:
    old = cipher(K1).encrypt("Ada Lovelace")
    rotated = cipher(f"{K2},{K1}")
    assert rotated.decrypt(old) == "Ada Lovelace"
    moved = rotated.reencrypt(old)
    assert key_id_of(moved) == "k2" and rotated.decrypt(moved) == "Ada Lovelace"
    assert rotated.reencrypt(moved) == moved
    with pytest.raises(UnknownKey, match="'k1'"):
        cipher(K2).decrypt(old)


def test_a_changed_value_or_a_different_key_under_the_same_id_is_refused() -> None:
    c = cipher(K1)
    sealed = c.encrypt("+49 30 1234567")
    prefix, body = sealed.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1
    tampered = prefix + ":" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(FieldCryptError, match="does not open"):
        c.decrypt(tampered)
    impostor = cipher("k1:" + base64.b64encode(b"x" * 32).decode())
    with pytest.raises(FieldCryptError, match="does not open"):
        impostor.decrypt(sealed)
    with pytest.raises(FieldCryptError, match="not sealed"):
        c.decrypt("ada@example.com")
    with pytest.raises(FieldCryptError, match="cut off"):
        c.decrypt("v1:k1:AAAA")


def test_the_blind_index_is_keyed_normalised_and_asked_under_every_key() -> None:
    c = cipher(f"{K2},{K1}")
    index = c.blind_index(" Ada@Example.COM ")
    assert index == c.blind_index("ada@example.com") and index.startswith("k2:")
    assert "ada" not in index
    assert index != c.blind_index("bob@example.com")
    assert c.blind_indexes("ada@example.com") == [index, cipher(K1).blind_index("ada@example.com")]
    # another shop's keys make another index: the index says nothing without the key
    assert cipher(key("k2")).blind_index("a@b.c") != cipher(
        "k2:" + base64.b64encode(b"y" * 32).decode()
    ).blind_index("a@b.c")
