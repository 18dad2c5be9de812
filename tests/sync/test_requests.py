"""An operator's "run the inventory sync now" reaches the sync process through the database:
the web process never runs a job itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.accounts import tokens
from storefront.app import create_app
from storefront.container import services
from storefront.jobs import requests
from storefront.outbox.models import OutboxEntry
from sync.context import JobContext
from sync.registry import JobRegistry
from sync.scheduler import build_scheduler
from tests.conftest import make_settings

#: A safety net only: the test ends as soon as the job has run.
SAFETY = 60.0


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        make_settings(
            database_url=db_url,
            data_dir=tmp_path / "var",
            sync_lease_ttl=3.0,
            sync_requests_interval=0.05,
            sync_inventory_interval=3600,
        )
    )
    yield application
    services(application).db.dispose()


def _operator_token(app: Flask) -> str:
    with services(app).db.session_scope(write=True) as session:
        op = accounts.register(session, "ops@example.com", "correct horse battery", role="operator")
        return tokens.create_token(session, op, role="operator", name="t").plaintext


def test_a_requested_run_is_run_once_by_the_sync_process(app: Flask) -> None:
    ran = threading.Event()
    runs: list[str] = []
    registry = JobRegistry()

    @registry.job(id="inventory", interval=lambda s: 3600.0, description="stand-in")
    def inventory(ctx: JobContext) -> None:
        runs.append(ctx.job_id)
        ran.set()

    client = app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {_operator_token(app)}"}
    first = client.post("/api/v1/operator/inventory-sync", headers=headers)
    again = client.post("/api/v1/operator/inventory-sync", headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.get_json()["message"].startswith("Queued")
    assert again.get_json()["message"].startswith("Already queued")
    assert runs == []  # the web process ran nothing

    scheduler = build_scheduler(app, blocking=False, registry=registry)
    # The hourly tick is far away: only the request can make the job run now.
    for job in scheduler.get_jobs():
        if job.id == "inventory":
            job.modify(next_run_time=None)
    scheduler.start()
    try:
        assert ran.wait(SAFETY)
    finally:
        scheduler.shutdown(wait=True)
    assert runs == ["inventory"]
    with services(app).db.session_scope() as session:
        statuses = session.execute(
            select(OutboxEntry.status).where(OutboxEntry.topic == requests.TOPIC)
        ).scalars()
        assert list(statuses) == ["done"]


def test_an_unknown_job_cannot_be_requested(app: Flask) -> None:
    with services(app).db.session_scope(write=True) as session, pytest.raises(LookupError):
        requests.request_run(session, "make-coffee", actor="test")
