"""The systemd units start what the Procfile starts (the rehearsal runs the Procfile), and
the README sends operators to both."""

from __future__ import annotations

import configparser
import shlex

import pytest

from tests.rehearsal.topology import ROOT, procfile

UNITS = ROOT / "deploy" / "systemd"
#: Procfile process type -> the unit that runs it.
UNIT_OF = {
    "release": "storefront-release.service",
    "web": "storefront-web@.service",
    "sync": "storefront-sync.service",
}


def exec_start(unit: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / unit)
    return shlex.split(parser["Service"]["ExecStart"])


@pytest.mark.parametrize("kind", sorted(UNIT_OF))
def test_each_unit_runs_the_procfile_command(kind: str) -> None:
    command = exec_start(UNIT_OF[kind])
    assert command[0].startswith("/opt/storefront/.venv/bin/")
    assert [command[0].rsplit("/", 1)[1], *command[1:]] == shlex.split(procfile()[kind])


def test_the_procfile_has_the_processes_and_the_readme_points_to_them() -> None:
    assert set(procfile()) == {"release", "web", "sync"}
    readme = (ROOT / "README.md").read_text()
    assert "deploy/Procfile" in readme
    assert "deploy/systemd" in readme
