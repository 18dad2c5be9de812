"""Health from job_runs and the alert sources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from storefront.config import Settings
from storefront.db import Database, utcnow
from storefront.jobs.models import JobRun
from storefront.orders.models import Order
from sync.context import JobContext
from sync.health import (
    Alert,
    HealthReport,
    alert_sources,
    compute_health,
    format_age,
    orders_needing_attention,
    paid_orders_not_submitted,
    register_alert_source,
)
from sync.registry import JobRegistry

NOW = utcnow().replace(microsecond=0)


def _noop(ctx: JobContext) -> None:
    pass


def _registry(*ids: str) -> JobRegistry:
    reg = JobRegistry()
    for job_id in ids:
        reg.job(id=job_id, interval=lambda s: 600.0, description=f"{job_id} job")(_noop)
    return reg


def _record(db: Database, job_id: str, *runs: tuple[str, float, bool]) -> None:
    """``(outcome, minutes_ago, dry_run)`` per run, oldest first."""
    with db.session_scope(write=True) as session:
        for outcome, minutes_ago, dry in runs:
            started = NOW - timedelta(minutes=minutes_ago)
            session.add(
                JobRun(
                    job_id=job_id,
                    started_at=started,
                    finished_at=None if outcome == "running" else started + timedelta(seconds=5),
                    outcome=outcome,
                    dry_run=dry,
                    read_count=4,
                    changed_count=1,
                )
            )


def _health(app: Flask, *ids: str) -> HealthReport:
    return compute_health(app, registry=_registry(*ids), now=NOW, sources=[])


def _codes(alerts: Iterable[Alert]) -> list[tuple[str, str | None]]:
    return [(a.code, a.job_id) for a in alerts]


def test_three_failures_in_a_row_alert_and_a_success_resets(sync_app: Flask, db: Database) -> None:
    failures = [("failed", minutes, False) for minutes in (20, 15, 10)]
    _record(db, "inventory", ("succeeded", 25, False), *failures)
    _record(db, "outbox", ("failed", 30, False), ("failed", 20, False), ("succeeded", 10, False))

    report = _health(sync_app, "inventory", "outbox")

    inventory, outbox = report.jobs
    assert inventory.consecutive_failures == 3
    assert inventory.last_run is not None
    assert inventory.last_run.outcome == "failed"
    assert inventory.last_success_at == NOW - timedelta(minutes=25) + timedelta(seconds=5)
    assert outbox.consecutive_failures == 0
    assert _codes(report.alerts) == [("job_failing", "inventory")]
    assert report.alerts[0].severity == "critical"
    assert "3 runs in a row" in report.alerts[0].message
    assert not report.ok


def test_two_failures_do_not_alert_yet(sync_app: Flask, db: Database) -> None:
    _record(db, "inventory", ("failed", 20, False), ("failed", 10, False))
    report = compute_health(sync_app, registry=_registry("inventory"), now=NOW, sources=[])
    assert report.jobs[0].consecutive_failures == 2
    assert report.ok


def test_a_job_without_success_in_its_window_is_overdue(sync_app: Flask, db: Database) -> None:
    # expected window = 3 x 600 s = 30 min
    _record(db, "inventory", ("succeeded", 31, False))
    _record(db, "outbox", ("succeeded", 29, False))
    report = _health(sync_app, "inventory", "outbox")
    assert [j.overdue for j in report.jobs] == [True, False]
    assert _codes(report.alerts) == [("job_overdue", "inventory")]
    assert "expected within 30m" in report.alerts[0].message


def test_never_run_is_not_overdue_but_failing_since_the_start_is(
    sync_app: Flask, db: Database
) -> None:
    _record(db, "outbox", ("failed", 45, False))
    report = _health(sync_app, "inventory", "outbox")
    inventory, outbox = report.jobs
    assert inventory.last_run is None
    assert not inventory.overdue
    assert outbox.overdue
    assert "no success yet" in report.alerts[0].message


def test_dry_runs_neither_reset_a_streak_nor_count_as_success(
    sync_app: Flask, db: Database
) -> None:
    _record(
        db,
        "inventory",
        ("succeeded", 50, False),
        ("failed", 40, False),
        ("failed", 30, False),
        ("succeeded", 25, True),
        ("failed", 20, False),
    )
    [job] = compute_health(sync_app, registry=_registry("inventory"), now=NOW, sources=[]).jobs
    assert job.consecutive_failures == 3
    assert job.overdue  # last real success 50 min ago
    assert job.last_run is not None
    assert job.last_run.outcome == "failed"


def test_a_newsletter_failure_alerts_at_once(sync_app: Flask, db: Database) -> None:
    _record(db, "newsletter", ("succeeded", 20, False), ("failed", 10, False))
    report = compute_health(sync_app, registry=_registry("newsletter"), now=NOW, sources=[])
    assert _codes(report.alerts) == [("newsletter_failing", "newsletter")]
    assert report.alerts[0].severity == "critical"


def test_a_long_running_run_is_reported_stuck(sync_app: Flask, db: Database) -> None:
    _record(db, "inventory", ("succeeded", 20, False), ("running", 35, False))
    report = compute_health(sync_app, registry=_registry("inventory"), now=NOW, sources=[])
    assert report.jobs[0].stuck
    assert ("job_stuck", "inventory") in _codes(report.alerts)


def _order(number: str, status: str, paid_minutes_ago: float | None) -> Order:
    return Order(
        number=number,
        email="buyer@example.org",
        status=status,
        currency="EUR",
        subtotal_amount=2500,
        shipping_amount=495,
        total_amount=2995,
        shipping_address={},
        paid_at=None if paid_minutes_ago is None else NOW - timedelta(minutes=paid_minutes_ago),
    )


def test_order_alerts(sync_app: Flask, db: Database) -> None:
    with db.session_scope(write=True) as session:
        session.add_all(
            [
                _order("SF-1", "paid", 11),  # stuck before Gelato
                _order("SF-2", "paid", 5),  # still within 10 minutes
                _order("SF-3", "submitted", 60),
                _order("SF-4", "needs_attention", 60),
            ]
        )
    report = compute_health(
        sync_app,
        registry=JobRegistry(),
        now=NOW,
        sources=[paid_orders_not_submitted, orders_needing_attention],
    )
    assert _codes(report.alerts) == [("order_not_submitted", None), ("order_needs_attention", None)]
    assert report.alerts[0].message.endswith(": SF-1")
    assert report.alerts[1].message == "1 order(s) need attention: SF-4"
    # Both are registered by default.
    assert {paid_orders_not_submitted, orders_needing_attention} <= set(alert_sources())


def test_a_broken_alert_source_becomes_an_alert(sync_app: Flask) -> None:
    def exploding(session: Session, now: datetime, settings: Settings) -> Iterable[Alert]:
        raise LookupError("no table")

    def fine(session: Session, now: datetime, settings: Settings) -> Iterable[Alert]:
        return [Alert("warning", "custom", "something to look at")]

    report = compute_health(sync_app, registry=JobRegistry(), now=NOW, sources=[exploding, fine])
    assert _codes(report.alerts) == [("alert_source_failed", None), ("custom", None)]
    assert "LookupError" in report.alerts[0].message


def test_register_alert_source_is_idempotent() -> None:
    before = alert_sources()
    assert register_alert_source(paid_orders_not_submitted) is paid_orders_not_submitted
    assert alert_sources() == before


def test_format_age() -> None:
    assert format_age(timedelta(seconds=42)) == "42s"
    assert format_age(timedelta(minutes=7)) == "7m"
    assert format_age(timedelta(hours=3, minutes=5)) == "3h05m"
    assert format_age(timedelta(days=2, hours=4)) == "2d04h"
    assert format_age(timedelta(seconds=-5)) == "0s"
