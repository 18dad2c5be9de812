"""Keys for tests, and a cipher that lets values through unsealed (the control of scans and
the plaintext baseline of ``bench/encryption.py``; never used by the shop)."""

from __future__ import annotations

import base64
import hashlib

from storefront.crypto import KeyRing
from storefront.fieldcrypt import FieldCipher


def key(name: str) -> str:
    """``name:<base64 of 32 bytes>``, the same every run."""
    secret = hashlib.sha256(f"storefront test key {name}".encode()).digest()
    return f"{name}:{base64.b64encode(secret).decode()}"


TEST_KEYS = key("t1")


class PlaintextCipher(FieldCipher):
    """Stores values as they are (blind indexes are still made, so lookups work)."""

    def __init__(self, keys: str = TEST_KEYS) -> None:
        super().__init__(KeyRing.parse(keys))

    def encrypt(self, text: str) -> str:
        return text

    def decrypt(self, token: str) -> str:
        return token
