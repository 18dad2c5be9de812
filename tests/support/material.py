"""What a test needs from the machine or beside the repository, and the one rule for when
it is absent: outside CI the test is skipped with the reason; under ``CI=true`` it fails.

A contributor's fresh clone may lack PostgreSQL's binaries, chromium, redis-server, Node (or
the npm packages ``python -m tests.prepare`` installs into a cache folder), or the
``../shared/contracts`` folder (official contract material, laid beside the repository in
the real layout and in CI) and must still run the suite; CI must never pass by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
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


#: npm packages the tests run, installed by ``python -m tests.prepare`` into :data:`NPM_CACHE`
#: (outside the repository; nothing of npm's is committed).
NPM_PACKAGES = {"typescript": "5.9.3", "axe-core": "4.11.0"}
NPM_CACHE = Path(
    os.environ.get("STOREFRONT_NPM_CACHE") or Path.home() / ".cache" / "storefront-tests" / "npm"
)


def require_node() -> str:
    """The ``node`` executable, or :func:`missing`."""
    node = shutil.which("node")
    if node is None:
        missing("node is not on this machine (Node 20 or later runs the Studio's rules)")
    return node


def require_npm_package(name: str) -> Path:
    """``NPM_CACHE/node_modules/<name>`` at the version in :data:`NPM_PACKAGES`, or
    :func:`missing` (run ``python -m tests.prepare``)."""
    folder = NPM_CACHE / "node_modules" / name
    if npm_version(folder) != NPM_PACKAGES[name]:
        missing(
            f"npm package {name}@{NPM_PACKAGES[name]} is not in {NPM_CACHE}: "
            "run python -m tests.prepare"
        )
    return folder


def npm_version(folder: Path) -> str | None:
    """The version of the npm package installed in ``folder``, if any."""
    try:
        return str(json.loads((folder / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None
