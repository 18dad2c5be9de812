"""Run one job once and record it in ``job_runs``: the one code path of scheduler and CLI.

The outcome is ``failed`` when the job raised; otherwise the job's item counts decide it
(``storefront.jobs.outcomes.outcome_of``: ``succeeded``, ``partial`` or ``failed``), so a
run in which every item failed is never recorded as a success.

The row is written in three short transactions of its own — ``running`` at the start, the
outcome at the end — so a job that fails and rolls its own work back can never take its
record down with it, and a crash mid-run leaves a visible ``running`` row behind.
A job's exception is caught, logged and recorded here; it never reaches the scheduler,
whose next tick simply tries again.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog
from flask import Flask
from pydantic import SecretStr
from sqlalchemy import update

from storefront.config import Settings
from storefront.container import services
from storefront.db import Database, utcnow
from storefront.jobs import outcomes
from storefront.jobs.models import JobRun
from storefront.jobs.outcomes import Outcome
from sync.context import JobContext, RunCounts
from sync.registry import JobRegistry, load_jobs

Trigger = Literal["schedule", "cli"]

#: Longest error text stored; enough for a message, not for a dumped response body.
MAX_ERROR_CHARS = 1000

_log = structlog.get_logger("sync.runner")
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.I)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


@dataclass(frozen=True)
class JobRunResult:
    """What happened in one run (also what ``run-once`` prints)."""

    job_id: str
    run_id: int
    outcome: Outcome
    dry_run: bool
    trigger: Trigger
    counts: RunCounts
    notes: tuple[str, ...]
    notes_dropped: int
    error: str | None
    started_at: datetime
    finished_at: datetime
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.outcome == outcomes.SUCCEEDED


def run_job(
    app: Flask,
    job_id: str,
    *,
    dry_run: bool = False,
    trigger: Trigger = "schedule",
    interactive: bool = False,
    registry: JobRegistry | None = None,
) -> JobRunResult:
    """Run ``job_id`` now inside an app context and record the run.

    Raises :class:`sync.registry.UnknownJob` for an id nobody registered, and lets database
    errors while *recording* propagate (the caller — scheduler tick or CLI — reports them);
    everything the job itself raises ends as a ``failed`` result.
    """
    spec = (registry or load_jobs()).get(job_id)
    settings: Settings = services(app).settings
    db: Database = services(app).db

    started_at = utcnow()
    with db.session_scope(write=True) as session:
        row = JobRun(
            job_id=job_id, started_at=started_at, outcome=outcomes.RUNNING, dry_run=dry_run
        )
        session.add(row)
        session.flush()
        run_id = row.id

    ctx = JobContext(
        app=app,
        settings=settings,
        db=db,
        job_id=job_id,
        dry_run=dry_run,
        interactive=interactive,
        run_id=run_id,
    )
    log = _log.bind(job_id=job_id, run_id=run_id, dry_run=dry_run, trigger=trigger)
    log.info("job.start")
    clock = time.perf_counter()
    outcome: Outcome
    error: str | None
    try:
        with app.app_context():
            spec.fn(ctx)
    except Exception as exc:  # the job's failure is recorded, never propagated
        outcome, error = outcomes.FAILED, describe_error(exc, settings)
        log.error("job.failed", error=error, exc_info=True)
    except BaseException as exc:  # Ctrl+C / SystemExit: record, then let it stop the process
        error = describe_error(exc, settings) or "interrupted"
        _finish(db, run_id, outcomes.FAILED, ctx.counts, error)
        log.warning("job.interrupted", error=type(exc).__name__)
        raise
    else:
        outcome, error = outcomes.outcome_of(ctx.counts), None
        if outcome != outcomes.SUCCEEDED:
            error = f"{ctx.counts.failed} of {ctx.counts.items} item(s) failed"
            # Every item failed: that is a failed job, and error reporting hears of it.
            report = log.error if outcome == outcomes.FAILED else log.warning
            report("job.items_failed", outcome=outcome, error=error)

    finished_at = _finish(db, run_id, outcome, ctx.counts, error)
    duration = time.perf_counter() - clock
    log.info("job.finish", outcome=outcome, duration_s=round(duration, 3), **ctx.counts.as_dict())
    return JobRunResult(
        job_id=job_id,
        run_id=run_id,
        outcome=outcome,
        dry_run=dry_run,
        trigger=trigger,
        counts=ctx.counts,
        notes=tuple(ctx.notes),
        notes_dropped=ctx.notes_dropped,
        error=error,
        started_at=started_at,
        finished_at=finished_at,
        duration_s=duration,
    )


def _finish(
    db: Database, run_id: int, outcome: str, counts: RunCounts, error: str | None
) -> datetime:
    finished_at = utcnow()
    with db.session_scope(write=True) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                outcome=outcome,
                finished_at=finished_at,
                read_count=counts.read,
                changed_count=counts.changed,
                skipped_count=counts.skipped,
                failed_count=counts.failed,
                error=error,
            )
        )
    return finished_at


def describe_error(exc: BaseException, settings: Settings | None = None) -> str:
    """``Type: message``, truncated, with configured secrets and URL/header credentials masked."""
    message = str(exc)
    if settings is not None:
        for name in type(settings).model_fields:
            value = getattr(settings, name, None)
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                if len(secret) >= 4:
                    message = message.replace(secret, "***")
    message = _URL_CREDENTIALS.sub(r"\g<scheme>***@", message)
    message = _BEARER.sub(r"\1 ***", message)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text
