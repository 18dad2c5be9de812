"""Bad archives through the installed command: a corrupt, a truncated one, a wrong key and a
backup from a newer schema are each refused by ``verify`` and ``restore`` with one clear
line, before anything is overwritten."""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from storefront.accounts import services as accounts
from storefront.db import Database, make_engine
from tests.backups.support import DATA_KEYS, make_lake, snapshot_lake, snapshot_tables
from tests.cli.support import console_env, storefront
from tests.conftest import make_settings

OTHER_KEY = "drill:" + base64.b64encode(b"\x07" * 32).decode()


@dataclass(frozen=True)
class Archives:
    good: Path
    newer: Path


def backup_of(folder: Path, template: Path, *, schema: str | None = None) -> Path:
    """A backup (via the command) of a shop with the demo catalog."""
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'shop.db'}"
    shutil.copyfile(template, folder / "shop.db")
    if schema is not None:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": schema})
        engine.dispose()
    make_lake(make_settings(database_url=url, data_dir=folder / "var"))
    env = console_env(
        folder / "var",
        DATABASE_URL=url,
        STOREFRONT_ENV="test",
        DATA_KEYS=DATA_KEYS,
        BACKUP_URL=str(folder / "backups"),
        BACKUP_CONTENT="lake",
    )
    made = storefront("backup", "create", env=env, cwd=folder)
    assert made.returncode == 0, made.stderr
    (archive,) = (folder / "backups").glob("*.sfbak")
    return archive


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Archives:
    root = tmp_path_factory.mktemp("refusals")
    return Archives(
        good=backup_of(root / "good", sqlite_template),
        newer=backup_of(root / "newer", sqlite_template, schema="9999_from_the_future"),
    )


def corrupt(archive: Path, target: Path) -> Path:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x40
    target.write_bytes(bytes(data))
    return target


def truncated(archive: Path, target: Path) -> Path:
    target.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    return target


CASES = {
    "corrupt": (lambda a, t: corrupt(a.good, t), DATA_KEYS, "is damaged"),
    "truncated": (lambda a, t: truncated(a.good, t), DATA_KEYS, "it was cut off"),
    "wrong key": (lambda a, t: a.good, OTHER_KEY, "not the one this backup was sealed with"),
    "newer schema": (lambda a, t: a.newer, DATA_KEYS, "made by a newer version"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_refused_by_verify_and_restore_and_nothing_is_touched(
    archives: Archives, tmp_path: Path, sqlite_template: Path, case: str
) -> None:
    make, keys, reason = CASES[case]
    archive = make(archives, tmp_path / "bad.sfbak")
    # A shop to restore into that holds a database and a lake already.
    target = tmp_path / "target"
    url = f"sqlite:///{tmp_path / 'target.db'}"
    shutil.copyfile(sqlite_template, tmp_path / "target.db")
    settings = make_settings(database_url=url, data_dir=target)
    db = Database(url)
    with db.session_scope(write=True) as session:
        accounts.register(session, "still-here@example.com", "correct horse 4")
    db.dispose()
    make_lake(settings)
    tables_before, lake_before = snapshot_tables(url), snapshot_lake(settings)
    env = console_env(target, DATABASE_URL=url, STOREFRONT_ENV="test", DATA_KEYS=keys,
                      BACKUP_CONTENT="lake")  # fmt: skip

    checked = storefront("backup", "verify", str(archive), env=env, cwd=tmp_path)
    assert checked.returncode == 1
    assert reason in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1, checked.stderr

    restored = storefront("backup", "restore", str(archive), "--yes", env=env, cwd=tmp_path)
    assert restored.returncode == 1
    assert "restore refused, nothing was changed" in restored.stderr
    assert reason in restored.stderr
    assert len(restored.stderr.strip().splitlines()) == 1, restored.stderr
    assert snapshot_tables(url) == tables_before
    assert snapshot_lake(settings) == lake_before


def test_a_database_holding_data_needs_yes(archives: Archives, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    shutil.copyfile(archives.good.parent.parent / "shop.db", tmp_path / "busy.db")
    env = console_env(tmp_path / "var", DATABASE_URL=url, STOREFRONT_ENV="test",
                      DATA_KEYS=DATA_KEYS, BACKUP_CONTENT="none")  # fmt: skip
    refused = storefront("backup", "restore", str(archives.good), env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "holds data" in refused.stderr and "--yes" in refused.stderr
    refused = storefront("backup", "restore", str(archives.good), "--yes", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "BACKUP_CONTENT=none" in refused.stderr
    done = storefront(
        "backup", "restore", str(archives.good), "--yes", "--only", "database", env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout and "database (" in done.stdout
