"""Shared fixtures: settings, apps and databases on SQLite and a real PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storefront import migrate
from storefront.app import create_app
from storefront.config import Settings
from storefront.container import services
from storefront.db import make_engine
from storefront.models import metadata
from tests.support.lake import attach_lake, build_template
from tests.support.material import IN_CI, missing
from tests.support.postgres import PostgresUnavailable, create_database, postgres_server
from tests.support.redis_server import RedisUnavailable, redis_server

__all__ = ["IN_CI", "make_settings"]  # IN_CI: kept importable from here for older imports


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: hermetic (no .env, no inherited environment surprises)."""
    values: dict[str, object] = {"storefront_env": "test", "log_level": "WARNING"}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run, copied for each test (much faster than migrating)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailable as exc:
        missing(f"PostgreSQL could not start: {exc}")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server for this run (shared cache, breakers, rate limits)."""
    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as exc:
        missing(f"Redis leg: {exc}")


@pytest.fixture(scope="session")
def pg_migrated_url(pg_server: str) -> str:
    url = create_database(pg_server, "storefront_test")
    migrate.upgrade(url)
    return url


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "storefront.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A migrated, empty database — the test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    url = request.getfixturevalue("pg_migrated_url")
    _truncate_all(url)
    yield url
    _truncate_all(url)


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")


@pytest.fixture(scope="session")
def lake_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo catalog imported into a lake file once per run."""
    return build_template(tmp_path_factory.mktemp("lake-template"), make_settings())


@pytest.fixture
def app(settings: Settings, lake_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    application = create_app(settings)
    application.extensions["test_lake"] = attach_lake(application, lake_template, tmp_path / "lake")
    yield application
    application.extensions["test_lake"].store.close()
    services(application).db.dispose()


@pytest.fixture
def lake(app):  # type: ignore[no-untyped-def]
    return app.extensions["test_lake"]


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()
