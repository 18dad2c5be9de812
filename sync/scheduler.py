"""The sync process's APScheduler 3.x scheduler: every registered job, guarded by the lease.

Jobs are static and defined in code, so the memory job store is right (nothing to pickle,
nothing shared between processes — APScheduler 3 cannot coordinate processes anyway). The
database lease is the coordination: each tick first claims or renews the lease, and a
process that does not hold it idles ("standby"). A separate keeper job renews the lease
every ``ttl/3`` so a long job does not let it lapse.

Never call this from ``create_app`` or a web worker: one scheduler per worker would run
every job N times. ``storefront sync run`` (blocking) and ``storefront dev`` (background,
via :func:`start_background`) are the only starters.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import func, select

from storefront.config import Settings
from storefront.container import services
from storefront.db import Database
from storefront.jobs import requests
from storefront.jobs.models import JobRun
from storefront.outbox import services as outbox
from sync.lease import Lease
from sync.registry import JobRegistry, JobSpec, load_jobs
from sync.runner import run_job

#: APScheduler id of the lease keeper; registered ids start with a letter, so no clash.
KEEPER_ID = "_lease_keeper"
REQUESTS_ID = "_requested_runs"
#: A run may start this late and still run (seconds; never less, see :func:`misfire_grace`).
MIN_MISFIRE_GRACE = 30
#: First runs are staggered this far apart after start-up, so they do not all start at once.
START_STAGGER = timedelta(seconds=2)
MAX_START_DELAY = timedelta(seconds=10)

_log = structlog.get_logger("sync.scheduler")


def misfire_grace(interval_s: float) -> int:
    """How late a run may start: one interval (at least 30 s).

    APScheduler's default of 1 s silently drops a run that is late because the pool was
    busy or the host was paused. With ``coalesce=True`` a backlog collapses into one run
    anyway, so letting a run start up to one interval late loses nothing; later than that,
    the next regular tick is due and takes its place.
    """
    return max(MIN_MISFIRE_GRACE, round(interval_s))


class SyncService:
    """What the scheduler calls: lease-guarded job ticks and the lease keeper."""

    def __init__(self, app: Flask, registry: JobRegistry, lease: Lease) -> None:
        self.app = app
        self.db = services(app).db
        self.registry = registry
        self.lease = lease
        self._active: bool | None = None  # last known lease state, to log changes once
        self._state_lock = threading.Lock()
        #: Set by :func:`build_scheduler`; the service makes overdue jobs due on a takeover.
        self.scheduler: BaseScheduler | None = None

    def holds_lease(self) -> bool:
        """Claim or renew the lease; log when this process turns active or standby."""
        try:
            active = self.lease.try_acquire()
        except Exception:  # the database is down: do nothing this tick, try again next
            _log.exception("lease.error", lease=self.lease.name)
            active = False
        with self._state_lock:
            was, self._active = self._active, active
        changed = was != active
        if changed and active:
            _log.info("active", lease=self.lease.name, holder=self.lease.holder)
            if was is False:  # a takeover from standby (a fresh start staggers its own runs)
                try:
                    self.catch_up()
                except Exception:  # the lease is what matters here; jobs run on their ticks
                    _log.exception("catch_up.failed")
        elif changed:
            other = _safe_current_holder(self.lease)
            _log.info("standby", lease=self.lease.name, holder=self.lease.holder, held_by=other)
        return active

    def tick(self, job_id: str) -> None:
        """One scheduled run of ``job_id`` — or an idle tick when another process leads."""
        if not self.holds_lease():
            _log.debug("standby", job_id=job_id)
            return
        try:
            run_job(self.app, job_id, trigger="schedule", registry=self.registry)
        except Exception:  # recording failed (database down): log; the next tick retries
            _log.exception("job.record_failed", job_id=job_id)

    def catch_up(self) -> None:
        """Make due now every job whose last run, by any process, is older than its interval.

        A standby skips its ticks, so without this a process that takes the lease over would
        wait a whole interval for each job the old leader had not run lately (an hourly
        backup: up to an hour more than the promised loss window). Staggered like a start."""
        if self.scheduler is None:
            return
        settings: Settings = services(self.app).settings
        with self.db.session_scope() as session:
            rows = session.execute(
                select(JobRun.job_id, func.max(JobRun.started_at)).group_by(JobRun.job_id)
            ).all()
        last = dict(rows)
        now = datetime.now(UTC)
        due = [
            spec.id
            for spec in self.registry
            if (started := last.get(spec.id)) is None
            or now - started >= timedelta(seconds=spec.interval_seconds(settings))
        ]
        for index, job_id in enumerate(due):
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.modify_job(job_id, next_run_time=now + START_STAGGER * index)
        if due:
            _log.info("catch_up", jobs=due)

    def keep_lease(self) -> None:
        """Renew while active (a long job must not let the lease lapse); else try to take it."""
        if self._active:
            try:
                renewed = self.lease.renew()
            except Exception:
                _log.exception("lease.error", lease=self.lease.name)
                return
            if not renewed:
                _log.warning("lease.lost", lease=self.lease.name, holder=self.lease.holder)
                with self._state_lock:
                    self._active = False
            return
        self.holds_lease()

    def run_requested(self, scheduler: BaseScheduler) -> int:
        """Jobs an operator asked for (``storefront.jobs.requests``): their next tick is now.

        Runs on the leader only; the scheduler itself runs the job, so a requested run never
        overlaps a scheduled one. Returns how many were started."""
        if not self._active:
            return 0
        started = 0
        with outbox.claimed(self.db, requests.TOPIC, self.lease.holder, limit=20) as entries:
            for entry in entries:
                job_id = str(entry.payload.get("job", ""))
                with self.db.session_scope(write=True) as session:
                    if job_id in self.registry and scheduler.get_job(job_id) is not None:
                        scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
                        _log.info("job.requested", job_id=job_id, by=entry.payload.get("actor"))
                        outbox.complete(session, entry.id)
                        started += 1
                    else:
                        outbox.park(session, entry.id, f"no job {job_id!r} in this process")
        return started

    def on_shutdown(self, _event: SchedulerEvent) -> None:
        try:
            if self.lease.release():
                _log.info("lease.released", lease=self.lease.name, holder=self.lease.holder)
        except Exception:
            _log.exception("lease.error", lease=self.lease.name)


def build_scheduler(
    app: Flask,
    *,
    blocking: bool = True,
    registry: JobRegistry | None = None,
    lease: Lease | None = None,
) -> BaseScheduler:
    """A configured, not yet started scheduler with every registered job and the keeper."""
    settings: Settings = services(app).settings
    db: Database = services(app).db
    registry = registry if registry is not None else load_jobs()
    # Our job.start/job.finish lines say it better than APScheduler's per-tick INFO lines.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    lease = lease or Lease(db, "sync", ttl=settings.sync_lease_ttl)
    service = SyncService(app, registry, lease)

    # One thread per job plus the keeper: a slow job can never starve the lease renewal.
    executors = {"default": ThreadPoolExecutor(max_workers=len(registry) + 3)}
    scheduler_cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler: BaseScheduler = scheduler_cls(executors=executors, timezone=UTC)

    now = datetime.now(UTC)
    for index, spec in enumerate(registry):
        _add_job(scheduler, service, spec, settings, now + START_STAGGER * index)
    keeper_every = max(settings.sync_lease_ttl / 3, 0.05)
    scheduler.add_job(
        service.keep_lease,
        trigger=IntervalTrigger(seconds=keeper_every, timezone=UTC),
        id=KEEPER_ID,
        name="sync lease keeper",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=misfire_grace(keeper_every),
        next_run_time=now,
    )
    scheduler.add_job(
        service.run_requested,
        trigger=IntervalTrigger(seconds=settings.sync_requests_interval, timezone=UTC),
        args=[scheduler],
        id=REQUESTS_ID,
        name="jobs operators asked for",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=misfire_grace(settings.sync_requests_interval),
    )
    scheduler.add_listener(service.on_shutdown, EVENT_SCHEDULER_SHUTDOWN)
    service.scheduler = scheduler
    scheduler.sync_service = service  # the tests reach the service through it
    return scheduler


def _add_job(
    scheduler: BaseScheduler,
    service: SyncService,
    spec: JobSpec,
    settings: Settings,
    stagger_at: datetime,
) -> None:
    interval = spec.interval_seconds(settings)
    first = min(stagger_at, datetime.now(UTC) + MAX_START_DELAY)
    first = min(first, datetime.now(UTC) + timedelta(seconds=interval))
    scheduler.add_job(
        service.tick,
        trigger=IntervalTrigger(seconds=interval, timezone=UTC),
        args=[spec.id],
        id=spec.id,
        name=spec.description or spec.id,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=misfire_grace(interval),
        next_run_time=first,
    )


def start_background(app: Flask, *, registry: JobRegistry | None = None) -> BaseScheduler:
    """Start the scheduler in a background thread (``storefront dev``); returns it.

    Call ``scheduler.shutdown()`` to stop it; the lease is released on shutdown.
    """
    scheduler = build_scheduler(app, blocking=False, registry=registry)
    scheduler.start()
    _log.info("scheduler.started", mode="background", jobs=[j.id for j in scheduler.get_jobs()])
    return scheduler


def _safe_current_holder(lease: Lease) -> str | None:
    try:
        state = lease.current()
    except Exception:
        return None
    return state.holder if state else None
