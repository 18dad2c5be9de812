"""Is the sync process doing its work? Per-job health from ``job_runs``, plus alerts.

Only real runs count: a dry run proves nothing about the data, so it neither resets a
failure streak nor counts as a success. A run is ``failed`` when its job raised *or* when
every item it handled failed (``storefront.jobs.outcomes``): both make a failure streak
alike. A ``partial`` run (some items failed) ends a streak but is no success either: it
raises a warning of its own. Alerts come from the job runs (failing streaks, partial runs,
overdue jobs, a failing newsletter sync — people who unsubscribed would stay on the list)
and from *alert sources* that features register with :func:`register_alert_source`.
Two order sources live here already: paid orders that never reached Gelato and orders
that need an operator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.config import Settings
from storefront.db import Database, utcnow
from storefront.jobs import outcomes
from storefront.jobs.models import JobRun
from storefront.jobs.schedule import Plan
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus

Severity = Literal["warning", "critical"]

#: A job failing this many real runs in a row raises ``job_failing``.
FAILURE_STREAK_ALERT = 3
#: Jobs whose failure matters at once (one failed run already alerts).
FAIL_FAST_JOBS = frozenset({"newsletter"})
#: Jobs whose lateness is critical: the alert's code and what is at stake.
CRITICAL_WHEN_OVERDUE = {
    "backup": (
        "backup_too_old",
        "a restore now would lose everything since (BACKUP_MAX_AGE; see the job's last error)",
    ),
}
#: A paid order older than this and not yet at Gelato raises ``order_not_submitted``.
PAID_NOT_SUBMITTED_AFTER = timedelta(minutes=10)
#: How far back a failure streak is counted.
STREAK_WINDOW = 20

_log = structlog.get_logger("storefront.jobs.health")


@dataclass(frozen=True)
class Alert:
    severity: Severity
    code: str
    message: str
    job_id: str | None = None


@dataclass(frozen=True)
class RunView:
    run_id: int
    outcome: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    read: int
    changed: int
    skipped: int
    failed: int
    error: str | None


@dataclass(frozen=True)
class JobHealth:
    job_id: str
    description: str
    interval_s: float
    expected_within: timedelta
    last_run: RunView | None  # latest run of any kind, dry runs and running ones included
    last_finished: RunView | None  # latest real run that has finished
    last_success_at: datetime | None  # end of the latest successful real run
    consecutive_failures: int  # real runs, newest first, until a success
    overdue: bool  # had a baseline and no success within expected_within of now
    stuck: bool  # the latest real run is still "running" after expected_within


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    jobs: tuple[JobHealth, ...]
    alerts: tuple[Alert, ...]

    @property
    def ok(self) -> bool:
        return not self.alerts


#: ``source(session, now, settings)`` -> alerts. Errors in a source become an alert too.
AlertSource = Callable[[Session, datetime, Settings], Iterable[Alert]]
_ALERT_SOURCES: list[AlertSource] = []


def register_alert_source(source: AlertSource) -> AlertSource:
    """Add a domain alert source (usable as a decorator); registering twice is a no-op."""
    if source not in _ALERT_SOURCES:
        _ALERT_SOURCES.append(source)
    return source


def alert_sources() -> list[AlertSource]:
    return list(_ALERT_SOURCES)


def compute_health(
    db: Database,
    settings: Settings,
    plans: Iterable[Plan],
    *,
    now: datetime | None = None,
    sources: Iterable[AlertSource] | None = None,
) -> HealthReport:
    """Health of every planned job and every alert, as of ``now``."""
    now = now or utcnow()
    jobs: list[JobHealth] = []
    alerts: list[Alert] = []
    with db.session_scope() as session:
        for plan in plans:
            health = _job_health(session, plan, now, settings)
            jobs.append(health)
            alerts.extend(job_alerts(health, now))
        for source in _ALERT_SOURCES if sources is None else sources:
            alerts.extend(_run_source(source, session, now, settings))
    return HealthReport(checked_at=now, jobs=tuple(jobs), alerts=tuple(alerts))


def _job_health(session: Session, spec: Plan, now: datetime, settings: Settings) -> JobHealth:
    job_id = spec.id
    window = spec.expected_window(settings)
    last_any = session.execute(
        select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id.desc()).limit(1)
    ).scalar_one_or_none()
    recent = (
        session.execute(
            select(JobRun)
            .where(JobRun.job_id == job_id, JobRun.dry_run.is_(False))
            .order_by(JobRun.id.desc())
            .limit(STREAK_WINDOW)
        )
        .scalars()
        .all()
    )
    last_success_at = session.execute(
        select(func.max(JobRun.finished_at)).where(
            JobRun.job_id == job_id,
            JobRun.dry_run.is_(False),
            JobRun.outcome == outcomes.SUCCEEDED,
        )
    ).scalar_one_or_none()
    first_started = session.execute(
        select(func.min(JobRun.started_at)).where(
            JobRun.job_id == job_id, JobRun.dry_run.is_(False)
        )
    ).scalar_one_or_none()

    streak = 0
    for run in recent:
        if run.outcome == outcomes.RUNNING:
            continue  # in flight: neither a success nor a failure yet
        if run.outcome != outcomes.FAILED:
            break  # a success, or a partial run: some items got through
        streak += 1
    last_finished = next((run for run in recent if run.outcome != outcomes.RUNNING), None)
    # Overdue needs a baseline: the last success, or else the first attempt (a job that
    # has never run at all is reported as "never", not as overdue).
    baseline = _as_utc(last_success_at) or _as_utc(first_started)
    overdue = baseline is not None and now - baseline > window
    stuck = (
        bool(recent)
        and recent[0].outcome == outcomes.RUNNING
        and now - recent[0].started_at > window
    )
    return JobHealth(
        job_id=job_id,
        description=spec.description,
        interval_s=spec.interval_seconds(settings),
        expected_within=window,
        last_run=_view(last_any) if last_any else None,
        last_finished=_view(last_finished) if last_finished else None,
        last_success_at=_as_utc(last_success_at),
        consecutive_failures=streak,
        overdue=overdue,
        stuck=stuck,
    )


def job_alerts(health: JobHealth, now: datetime) -> list[Alert]:
    """The alert conditions of one job."""
    alerts: list[Alert] = []
    jid = health.job_id
    if health.consecutive_failures and jid in FAIL_FAST_JOBS:
        # The run may have failed pulling (an exception) or pushing (every item failed):
        # name what is at stake, and let the recorded error say which.
        last = health.last_finished
        why = f" ({last.error})" if last is not None and last.error else ""
        alerts.append(
            Alert(
                "critical",
                f"{jid}_failing",
                f"{jid} sync failed {health.consecutive_failures}x in a row{why}; "
                "until it works, unsubscribes may not be pulled from the provider",
                jid,
            )
        )
    elif health.consecutive_failures >= FAILURE_STREAK_ALERT:
        alerts.append(
            Alert(
                "critical",
                "job_failing",
                f"{jid} failed {health.consecutive_failures} runs in a row",
                jid,
            )
        )
    finished = health.last_finished
    if finished is not None and finished.outcome == outcomes.PARTIAL:
        alerts.append(
            Alert(
                "warning",
                "job_partial",
                f"{jid}: {finished.failed} of {finished.read} item(s) failed in its last run",
                jid,
            )
        )
    if health.overdue:
        since = (
            f"last success {format_age(now - health.last_success_at)} ago"
            if health.last_success_at
            else "no success yet"
        )
        late = f"{jid} is overdue: {since}, expected within {format_age(health.expected_within)}"
        if jid in CRITICAL_WHEN_OVERDUE:
            code, stake = CRITICAL_WHEN_OVERDUE[jid]
            alerts.append(Alert("critical", code, f"{late}; {stake}", jid))
        else:
            alerts.append(Alert("warning", "job_overdue", late, jid))
    if health.stuck and health.last_run:
        alerts.append(
            Alert(
                "warning",
                "job_stuck",
                f"{jid} has been running for {format_age(now - health.last_run.started_at)} "
                "(crashed process or hung call?)",
                jid,
            )
        )
    return alerts


def _run_source(
    source: AlertSource, session: Session, now: datetime, settings: Settings
) -> list[Alert]:
    try:
        return list(source(session, now, settings))
    except Exception as exc:  # one broken source must not hide the others
        _log.exception("alert_source.failed", source=getattr(source, "__name__", repr(source)))
        session.rollback()
        return [
            Alert(
                "critical",
                "alert_source_failed",
                f"alert source {getattr(source, '__name__', source)!r} failed: "
                f"{type(exc).__name__}",
            )
        ]


# --- the two order alerts ------------------------------------------------------------------
@register_alert_source
def paid_orders_not_submitted(
    session: Session, now: datetime, _settings: Settings
) -> Iterable[Alert]:
    """Paid more than 10 minutes ago and still not handed to Gelato."""
    numbers = (
        session.execute(
            select(Order.number)
            .where(Order.status == OrderStatus.PAID, Order.paid_at < now - PAID_NOT_SUBMITTED_AFTER)
            .order_by(Order.paid_at)
        )
        .scalars()
        .all()
    )
    if numbers:
        shown = ", ".join(numbers[:5]) + (" …" if len(numbers) > 5 else "")
        yield Alert(
            "critical",
            "order_not_submitted",
            f"{len(numbers)} paid order(s) not at Gelato after "
            f"{format_age(PAID_NOT_SUBMITTED_AFTER)}: {shown}",
        )


@register_alert_source
def orders_needing_attention(
    session: Session, _now: datetime, _settings: Settings
) -> Iterable[Alert]:
    numbers = (
        session.execute(
            select(Order.number)
            .where(Order.status == OrderStatus.NEEDS_ATTENTION)
            .order_by(Order.id)
        )
        .scalars()
        .all()
    )
    if numbers:
        shown = ", ".join(numbers[:5]) + (" …" if len(numbers) > 5 else "")
        yield Alert(
            "warning", "order_needs_attention", f"{len(numbers)} order(s) need attention: {shown}"
        )


# --- helpers -------------------------------------------------------------------------------
def _view(run: JobRun) -> RunView:
    return RunView(
        run_id=run.id,
        outcome=run.outcome,
        dry_run=run.dry_run,
        started_at=run.started_at,
        finished_at=run.finished_at,
        read=run.read_count,
        changed=run.changed_count,
        skipped=run.skipped_count,
        failed=run.failed_count,
        error=run.error,
    )


def _as_utc(value: datetime | None) -> datetime | None:
    """Aggregates (MAX/MIN) bypass the UTC column type on SQLite; normalise them here."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_age(delta: timedelta) -> str:
    """``42s``, ``7m``, ``3h05m``, ``2d04h`` — short enough for a table cell."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
