"""Sync fixtures: an app on the parametrised database and a private job registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from storefront.app import create_app
from storefront.container import services
from storefront.db import Database
from sync.context import JobContext
from sync.registry import JobRegistry
from tests.conftest import make_settings
from tests.support.clocks import Instant


@pytest.fixture
def sync_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on SQLite and on PostgreSQL (``db_url`` runs each test twice)."""
    app = create_app(make_settings(database_url=db_url, data_dir=tmp_path / "var"))
    yield app
    services(app).db.dispose()


@pytest.fixture
def db(sync_app: Flask) -> Database:
    return services(sync_app).db


@pytest.fixture
def registry() -> JobRegistry:
    """Test jobs only: ``counting`` tallies and notes, ``broken`` always raises."""
    reg = JobRegistry()

    @reg.job(id="counting", interval=lambda s: 60.0, description="counts three items")
    def counting(ctx: JobContext) -> None:
        for item in ctx.progress(["a", "b", "c"], label="items"):
            ctx.read()
            if item == "b":
                ctx.skipped()
                continue
            ctx.changed()
            ctx.note(f"{'would update' if ctx.dry_run else 'updated'} {item}")

    @reg.job(id="broken", interval=lambda s: 60.0, description="always fails")
    def broken(ctx: JobContext) -> None:
        ctx.read(2)
        ctx.note("about to fail")
        raise RuntimeError("upstream said no")

    return reg


@pytest.fixture
def clock() -> Instant:
    """An injectable clock: tests move time instead of sleeping."""
    return Instant()
