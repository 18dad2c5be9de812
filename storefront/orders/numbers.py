"""Order numbers: short, readable, not guessable (access still needs a signed link)."""

from __future__ import annotations

import secrets

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def new_order_number() -> str:
    return "SF-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
