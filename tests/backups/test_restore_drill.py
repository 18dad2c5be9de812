"""The restore drill, through the installed ``storefront`` command as an operator runs it:
orders, customers and content; back up; lose the database and the lake; restore into a fresh
database and lake; every table and every document is as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storefront.accounts import services as accounts
from storefront.app import create_app
from storefront.container import services
from tests.backups.support import (
    DATA_KEYS,
    NEW_PAGE,
    make_lake,
    make_shop_data,
    snapshot_lake,
    snapshot_tables,
)
from tests.cli.support import console_env, storefront
from tests.conftest import make_settings
from tests.support.postgres import create_database


def fresh_database(request: pytest.FixtureRequest, db_url: str, folder: Path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{folder / 'restored.db'}"
    return create_database(request.getfixturevalue("pg_server"), "storefront_drill")


@pytest.mark.slow
def test_back_up_lose_everything_restore_and_compare(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> None:
    shop_dir, backups = tmp_path / "shop", tmp_path / "backups"
    settings = make_settings(database_url=db_url, data_dir=shop_dir)
    app = create_app(settings)
    services(app).mail_delivery = "off"
    make_shop_data(app)
    services(app).db.dispose()
    make_lake(settings)
    tables, (documents, binaries) = snapshot_tables(db_url), snapshot_lake(settings)
    assert tables["orders"] and tables["customers"] and tables["outbox"]
    assert any(d["_id"] == NEW_PAGE["_id"] for d in documents)

    common = {"STOREFRONT_ENV": "test", "DATA_KEYS": DATA_KEYS, "BACKUP_URL": str(backups)}
    common |= {"BACKUP_CONTENT": "lake", "LOG_LEVEL": "WARNING"}
    made = storefront(
        "backup", "create", env=console_env(shop_dir, DATABASE_URL=db_url, **common), cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert "backup: succeeded" in made.stdout

    # The disaster: the lake and its assets are gone; the database server too (a new one).
    shutil.rmtree(shop_dir)
    restored_url = fresh_database(request, db_url, tmp_path)
    restored_dir = tmp_path / "restored"
    env = console_env(restored_dir, DATABASE_URL=restored_url, **common)
    checked = storefront("backup", "verify", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "checksums match" in checked.stdout
    done = storefront("backup", "restore", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "restored storefront-" in done.stdout

    after = snapshot_tables(restored_url)
    # The backup holds the record of its own run, still "running" when the database was
    # copied; everything else is exactly as it was.
    own = after["job_runs"][-1]
    assert (own["job_id"], own["outcome"]) == ("backup", "running")
    assert len(after["job_runs"]) == len(tables["job_runs"]) + 1
    after["job_runs"] = after["job_runs"][:-1]
    assert after.keys() == tables.keys()
    for name in tables:
        assert after[name] == tables[name], f"table {name} differs after the restore"
    restored_settings = make_settings(database_url=restored_url, data_dir=restored_dir)
    assert snapshot_lake(restored_settings) == (documents, binaries)

    # The restored shop goes on: new rows get new ids (sequences came back too).
    app = create_app(restored_settings)
    with services(app).db.session_scope(write=True) as session:
        newcomer = accounts.register(session, "new@example.com", "correct horse 3")
        assert newcomer.id > max(row["id"] for row in tables["customers"])
    services(app).db.dispose()
