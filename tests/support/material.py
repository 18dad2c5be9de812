"""What a test needs from the machine or beside the repository, and the one rule for when
it is absent: outside CI the test is skipped with the reason; under ``CI=true`` it fails.

A contributor's fresh clone may lack PostgreSQL's binaries, chromium, redis-server or the
``../shared/contracts`` folder (official contract material, laid beside the repository in
the real layout and in CI) and must still run the suite; CI must never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

REPO = Path(__file__).resolve().parents[2]
#: Official contract material (Stripe fixtures, PayPal OpenAPI, the GROQ test suite).
CONTRACTS = REPO.parent / "shared" / "contracts"


def missing(reason: str) -> NoReturn:
    """Skip the current test (or fixture) for ``reason``; under CI, fail it instead."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def require_path(path: Path, what: str) -> Path:
    """``path`` when it exists; otherwise :func:`missing` names ``what`` and where it looked."""
    if not path.exists():
        missing(f"{what} not found at {path}")
    return path
