"""Sync fixtures: an app on the parametrised database and a private job registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from storefront.app import create_app
from storefront.container import services
from storefront.db import Database
from sync.context import JobContext
from sync.registry import JobRegistry
from tests.conftest import make_settings


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


class FakeClock:
    """An injectable clock: tests move time instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return FakeClock()
