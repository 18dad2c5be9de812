"""Backups in S3-compatible storage (a local S3 server, moto's), the scheduled job, its
retention and the alert when the last good backup is too old."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from storefront import migrate
from storefront.accounts import services as accounts
from storefront.app import create_app
from storefront.backups.retention import Policy
from storefront.backups.services import prune
from storefront.backups.storage import BackupStore, FolderStore, S3Store, archive_name
from storefront.container import services
from storefront.db import utcnow
from storefront.jobs.health import compute_health
from storefront.jobs.schedule import PLANS
from sync.runner import run_job
from tests.backups.support import DATA_KEYS, make_lake, make_shop_data, snapshot_tables
from tests.cli.support import console_env, storefront
from tests.conftest import make_settings

AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class S3:
    endpoint: str
    bucket: str


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    """A local S3 server with a new, empty bucket."""
    for key, value in AWS.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    found = S3(f"http://{host}:{port}", f"shop-backups-{uuid.uuid4().hex[:8]}")
    boto3.client("s3", endpoint_url=found.endpoint).create_bucket(
        Bucket=found.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    yield found
    server.stop()


@pytest.mark.slow
def test_create_list_verify_restore_through_s3(s3: S3, tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "shop")
    app = create_app(settings)
    services(app).mail_delivery = "off"
    make_shop_data(app)
    services(app).db.dispose()
    make_lake(settings)
    common = {
        **AWS,
        "STOREFRONT_ENV": "test",
        "DATA_KEYS": DATA_KEYS,
        "BACKUP_URL": f"s3://{s3.bucket}/storefront",
        "BACKUP_S3_ENDPOINT_URL": s3.endpoint,
        "BACKUP_CONTENT": "lake",
    }
    env = console_env(tmp_path / "shop", DATABASE_URL=sqlite_url, **common)
    made = storefront("backup", "create", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    client = boto3.client("s3", endpoint_url=s3.endpoint)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3.bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("storefront/storefront-")
    listed = storefront("backup", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert f"s3://{s3.bucket}/storefront" in listed.stdout
    assert f"sqlite at {migrate.head_revision()}, lake content" in listed.stdout
    checked = storefront("backup", "verify", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "checksums match" in checked.stdout

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    env = console_env(tmp_path / "restored", DATABASE_URL=restored_url, **common)
    done = storefront("backup", "restore", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert snapshot_tables(restored_url)["orders"] == snapshot_tables(sqlite_url)["orders"]


def _store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> BackupStore:
    if kind == "folder":
        return FolderStore(tmp_path / "backups")
    s3: S3 = request.getfixturevalue("s3")
    return S3Store.from_url(f"s3://{s3.bucket}/shop", s3.endpoint)


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_prune_deletes_what_the_policy_does_not_keep(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _store(kind, tmp_path, request)
    archive = tmp_path / "x.sfbak"
    archive.write_bytes(b"SFBACKUP")
    now = utcnow()
    names = [archive_name(now - timedelta(hours=h)) for h in range(5)]
    for name in names:
        store.put(name, archive)
    assert [b.name for b in store.list()] == names  # newest first
    gone = prune(store, Policy(keep_last=2, daily=0, weekly=0, monthly=0))
    assert [b.name for b in gone] == names[2:]
    assert [b.name for b in store.list()] == names[:2]
    assert store.head(names[0], 4) == b"SFBA"


def test_the_job_backs_up_prunes_and_its_dry_run_writes_nothing(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = make_settings(
        database_url=sqlite_url,
        data_dir=tmp_path / "shop",
        data_keys=DATA_KEYS,
        backup_content="lake",
        backup_keep_last=1,
        backup_keep_daily=0,
        backup_keep_weekly=0,
        backup_keep_monthly=0,
    )
    make_lake(settings)
    app = create_app(settings)
    dry = run_job(app, "backup", dry_run=True)
    assert dry.ok
    assert not (tmp_path / "shop" / "backups").exists()
    assert "would back up the sqlite database and lake content" in dry.notes[0]
    first, second = run_job(app, "backup"), run_job(app, "backup")
    assert first.ok and second.ok, (first.error, second.error)
    assert any(note.startswith("pruned storefront-") for note in second.notes)
    assert len(list((tmp_path / "shop" / "backups").glob("*.sfbak"))) == 1
    services(app).db.dispose()


def test_a_backup_older_than_the_limit_is_a_critical_alert(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(
        database_url=sqlite_url,
        data_dir=tmp_path / "shop",
        backup_content="none",
        sync_backup_interval=3600,
        backup_max_age=7200,
    )
    app = create_app(settings)
    assert run_job(app, "backup").ok
    db = services(app).db
    plan = [PLANS["backup"]]
    fine = compute_health(db, settings, plan, now=utcnow() + timedelta(hours=1), sources=[])
    assert fine.alerts == ()
    late = compute_health(db, settings, plan, now=utcnow() + timedelta(hours=3), sources=[])
    (alert,) = late.alerts
    assert (alert.severity, alert.code) == ("critical", "backup_too_old")
    assert "expected within 2h00m" in alert.message
    db.dispose()


def test_nothing_but_the_shop_data_key_can_read_a_backup(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(
        database_url=sqlite_url, data_dir=tmp_path / "shop", backup_content="none"
    )
    app = create_app(settings)
    with services(app).db.session_scope(write=True) as session:
        accounts.register(session, "janet.quill@example.org", "correct horse 5", "Janet Quill")
    assert run_job(app, "backup").ok
    (archive,) = (tmp_path / "shop" / "backups").glob("*.sfbak")
    sealed = archive.read_bytes()
    assert b"janet.quill" not in sealed
    assert b"Janet Quill" not in sealed
    assert os.stat(archive).st_size > 1000
    services(app).db.dispose()
