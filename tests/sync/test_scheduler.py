"""The scheduler: jobs from the registry, failures contained, standby while another leads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select, update

from storefront.app import create_app
from storefront.container import services
from storefront.db import Database, utcnow
from storefront.jobs.models import JobRun
from storefront.jobs.models import Lease as LeaseRow
from sync.context import JobContext
from sync.lease import Lease, read_lease
from sync.registry import JobRegistry
from sync.scheduler import (
    KEEPER_ID,
    REQUESTS_ID,
    build_scheduler,
    misfire_grace,
    start_background,
)
from tests.conftest import make_settings

TICK = 0.05
#: A safety net only: every wait below ends as soon as what it waits for has happened.
SAFETY = 60.0


@pytest.fixture
def fast_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        make_settings(database_url=db_url, data_dir=tmp_path / "var", sync_lease_ttl=3.0)
    )
    yield app
    services(app).db.dispose()


def _outcomes(db: Database, job_id: str) -> list[str]:
    with db.session_scope() as session:
        return list(
            session.execute(
                select(JobRun.outcome).where(JobRun.job_id == job_id).order_by(JobRun.id)
            ).scalars()
        )


def _wait_for(predicate: object, timeout: float = SAFETY) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def _flaky_registry(calls: list[int], done: threading.Event) -> JobRegistry:
    reg = JobRegistry()

    @reg.job(id="flaky", interval=lambda s: TICK, description="fails once, then works")
    def flaky(ctx: JobContext) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("first try fails")
        ctx.changed()
        if len(calls) >= 3:
            done.set()

    return reg


def test_a_failing_run_is_recorded_and_the_scheduler_keeps_ticking(fast_app: Flask) -> None:
    calls: list[int] = []
    done = threading.Event()
    scheduler = start_background(fast_app, registry=_flaky_registry(calls, done))
    try:
        assert done.wait(SAFETY), f"only {len(calls)} run(s)"
        assert scheduler.running
    finally:
        scheduler.shutdown(wait=True)
    db = services(fast_app).db
    outcomes = _outcomes(db, "flaky")
    assert outcomes[0] == "failed"
    assert outcomes[1:3] == ["succeeded", "succeeded"]
    assert read_lease(db) is None  # released on shutdown


def test_a_second_process_stands_by_while_the_lease_is_held(fast_app: Flask) -> None:
    db = services(fast_app).db
    leader = Lease(db, holder="other-host:1:abc", ttl=60)
    assert leader.try_acquire()
    calls: list[int] = []
    scheduler = build_scheduler(
        fast_app, blocking=False, registry=_flaky_registry(calls, threading.Event())
    )
    service = scheduler.sync_service  # type: ignore[attr-defined]
    standby: list[bool] = []
    claim = service.holds_lease

    def counted_claim() -> bool:  # every tick (and the keeper) asks first
        held = claim()
        if not held:
            standby.append(True)
        return held

    service.holds_lease = counted_claim
    scheduler.start()
    try:
        assert _wait_for(lambda: len(standby) >= 6)  # several ticks happened, all idle
        assert calls == []
        assert _outcomes(db, "flaky") == []
        # The leader goes away cleanly: the standby takes over on a following tick.
        assert leader.release()
        assert _wait_for(lambda: len(calls) >= 2)
    finally:
        scheduler.shutdown(wait=True)
    assert service.lease.holder != leader.holder
    assert read_lease(db) is None


def test_jobs_are_added_with_stable_ids_and_safe_options(fast_app: Flask) -> None:
    reg = JobRegistry()
    reg.job(id="inventory", interval=lambda s: s.sync_inventory_interval, description="inv")(
        lambda ctx: None
    )
    reg.job(id="outbox", interval=lambda s: s.sync_outbox_interval, description="out")(
        lambda ctx: None
    )
    scheduler = build_scheduler(fast_app, registry=reg)
    assert isinstance(scheduler, BlockingScheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"inventory", "outbox", KEEPER_ID, REQUESTS_ID}
    inventory = jobs["inventory"]
    assert inventory.trigger.interval.total_seconds() == 900
    assert inventory.coalesce is True
    assert inventory.max_instances == 1
    assert inventory.misfire_grace_time == 900
    assert jobs["outbox"].misfire_grace_time == 30  # never below the floor
    assert inventory.args == ("inventory",)
    assert jobs[KEEPER_ID].trigger.interval.total_seconds() == pytest.approx(1.0)
    assert isinstance(build_scheduler(fast_app, blocking=False, registry=reg), BackgroundScheduler)


def test_misfire_grace_is_one_interval_with_a_floor() -> None:
    assert misfire_grace(0.05) == 30
    assert misfire_grace(600) == 600


def test_a_lost_lease_is_noticed_by_the_keeper(fast_app: Flask) -> None:
    db = services(fast_app).db
    scheduler = build_scheduler(fast_app, blocking=False, registry=JobRegistry())
    service = scheduler.sync_service  # type: ignore[attr-defined]
    service.keep_lease()
    assert service.lease.is_held()
    # Someone else takes over (say we were paused past the ttl and they waited it out).
    with db.session_scope(write=True) as session:
        session.execute(update(LeaseRow).values(holder="usurper"))
    service.keep_lease()
    assert not service.lease.is_held()
    assert not service.holds_lease()


def test_a_takeover_runs_at_once_what_the_old_leader_left_overdue(fast_app: Flask) -> None:
    """A standby skips its ticks; the process that takes the lease over runs every job whose
    last run is older than its interval straight away, not an interval later (#19: an
    hourly backup the dead leader never ran waited an hour)."""
    db = services(fast_app).db
    with db.session_scope(write=True) as session:  # "recent" ran a minute ago, "hourly" never
        session.add(
            JobRun(job_id="recent", started_at=utcnow() - timedelta(minutes=1), outcome="succeeded")
        )
    leader = Lease(db, holder="other-host:1:abc", ttl=60)
    assert leader.try_acquire()
    ran: list[str] = []
    hourly_ran = threading.Event()
    reg = JobRegistry()

    @reg.job(id="hourly", interval=lambda s: 3600, description="like the backup")
    def hourly(ctx: JobContext) -> None:
        ran.append("hourly")
        hourly_ran.set()

    @reg.job(id="recent", interval=lambda s: 3600, description="ran lately")
    def recent(ctx: JobContext) -> None:
        ran.append("recent")

    scheduler = build_scheduler(fast_app, blocking=False, registry=reg)
    service = scheduler.sync_service  # type: ignore[attr-defined]
    scheduler.start()
    try:
        # Standby through its first (staggered) ticks: nothing runs.
        assert _wait_for(lambda: service.holds_lease() is False and service._active is False)
        scheduler.modify_job("hourly", next_run_time=datetime.now(UTC))  # a tick, skipped
        assert _wait_for(lambda: scheduler.get_job("hourly").next_run_time > datetime.now(UTC))
        assert ran == []
        assert leader.release()  # the leader goes away
        assert hourly_ran.wait(SAFETY)
    finally:
        scheduler.shutdown(wait=True)
    assert ran == ["hourly"]  # "recent" keeps its hourly rhythm
