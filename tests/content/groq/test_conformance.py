"""The official GROQ conformance suite: the pass count may never drop below the floor."""

from pathlib import Path

import pytest

from storefront.content.groq.conformance import DEFAULT_SUITE, run

#: Raise this as the engine gets better; never lower it.
FLOOR = 6757


def test_conformance_floor() -> None:
    if not Path(DEFAULT_SUITE).exists():
        pytest.skip(f"no conformance suite at {DEFAULT_SUITE}")
    results = run(DEFAULT_SUITE)
    passed = sum(f.passed for f in results.values())
    total = sum(f.total for f in results.values())
    assert passed >= FLOOR, f"conformance fell to {passed}/{total} (floor {FLOOR})"
