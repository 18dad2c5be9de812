"""``storefront sync …`` through click's CliRunner, with a test app and registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from storefront.db import Database, utcnow
from storefront.jobs.models import JobRun
from sync.cli import SyncCliState, sync
from sync.lease import Lease
from sync.registry import JobRegistry

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(sync_app: Flask, registry: JobRegistry) -> Invoke:
    def run(*args: str) -> Result:
        state = SyncCliState(app=sync_app, registry=registry)
        return CliRunner().invoke(sync, list(args), obj=state)

    return run


def test_run_once_prints_notes_and_counts(invoke: Invoke, db: Database) -> None:
    result = invoke("run-once", "counting")
    assert result.exit_code == 0, result.output
    assert "items\n" in result.output  # the progress bar (just its label when not a tty)
    assert "  updated a\n  updated c\n" in result.output
    assert "counting: succeeded in " in result.output
    assert "read 3, changed 2, skipped 1, failed 0 (run #1)" in result.output


def test_run_once_dry_run(invoke: Invoke, db: Database) -> None:
    result = invoke("run-once", "counting", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would update a" in result.output
    assert "(dry run: nothing written)" in result.output
    with db.session_scope() as session:
        assert session.get(JobRun, 1).dry_run is True  # type: ignore[union-attr]


def test_run_once_exits_1_when_the_job_fails(invoke: Invoke) -> None:
    result = invoke("run-once", "broken")
    assert result.exit_code == 1
    assert "about to fail" in result.output
    assert "broken: failed" in result.output
    assert "error: RuntimeError: upstream said no" in result.output


def test_run_once_of_an_unknown_job_lists_the_known_ones(invoke: Invoke) -> None:
    result = invoke("run-once", "invetory")
    assert result.exit_code == 2
    assert "unknown job 'invetory'; known jobs: broken, counting" in result.output


def test_list_shows_ids_intervals_and_descriptions(invoke: Invoke) -> None:
    result = invoke("list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["JOB", "EVERY", "OVERDUE", "AFTER", "DESCRIPTION"]
    assert lines[1].split()[:3] == ["broken", "60s", "3m"]
    assert lines[2].startswith("counting")
    assert lines[2].endswith("counts three items")


def test_status_shows_last_runs_lease_and_alerts_but_exits_0(invoke: Invoke, db: Database) -> None:
    for _ in range(3):
        assert invoke("run-once", "broken").exit_code == 1
    assert invoke("run-once", "counting").exit_code == 0
    assert Lease(db, holder="box:42:abc", ttl=60).try_acquire()

    result = invoke("status")

    assert result.exit_code == 0
    out = result.output
    assert "lease: held by box:42:abc" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].islower()}
    assert rows["broken"][1:3] == ["failed", "0s"]
    assert rows["broken"][-2:] == ["3", "never"]  # the failure streak, no success yet
    assert rows["counting"][1] == "succeeded"
    assert rows["counting"][3:10] == ["3", "2", "1", "0", "0", "0s", "ago"]
    assert "!! 1 ALERT(S)" in out
    assert "!! [CRITICAL] job_failing: broken failed 3 runs in a row" in out


def test_status_without_runs_or_lease(invoke: Invoke, db: Database) -> None:
    # An expired lease reads as expired; jobs never run are "never" and not alerts.
    assert Lease(
        db, holder="gone:1:x", ttl=60, clock=lambda: utcnow() - timedelta(hours=1)
    ).try_acquire()
    result = invoke("status")
    assert result.exit_code == 0
    assert "lease: expired, last held by gone:1:x" in result.output
    assert "never" in result.output
    assert "no alerts" in result.output
