"""The one outcome rule, every report's item counts, and what runner and health make of them."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from storefront.catalog.inventory import InventoryReport
from storefront.db import Database
from storefront.fulfillment.push import PushReport
from storefront.jobs.models import JobRun
from storefront.jobs.outcomes import ItemCounts, outcome_of
from storefront.mail.worker import MailReport
from storefront.newsletter.sync import NewsletterReport
from storefront.payments.reconcile import ReconcileReport
from sync.context import JobContext, RunCounts
from sync.health import FAILURE_STREAK_ALERT, compute_health
from sync.registry import JobRegistry
from sync.runner import run_job


@pytest.mark.parametrize(
    ("read", "failed", "outcome"),
    [
        (0, 0, "succeeded"),  # nothing to do
        (5, 0, "succeeded"),
        (5, 1, "partial"),
        (5, 4, "partial"),
        (5, 5, "failed"),
        (0, 1, "failed"),  # the list call itself failed: nothing could be read
    ],
)
def test_the_rule(read: int, failed: int, outcome: str) -> None:
    assert outcome_of(RunCounts(read=read, failed=failed)) == outcome


REPORTS: list[tuple[str, ItemCounts, int, int]] = [
    # (what, report, items, failed)
    ("push: Gelato down for all", PushReport(retried=3), 3, 3),
    ("push: one refused, one sent", PushReport(pushed=1, parked=1), 2, 1),
    ("push: found and skipped", PushReport(found=1, skipped=2), 3, 0),
    ("payments: provider silent", ReconcileReport(checked=2, failed=2), 2, 2),
    ("payments: list failed", ReconcileReport(failed=1), 0, 1),
    ("inventory: conflicts left", InventoryReport(variants=10, written=7, failed=3), 10, 3),
    ("inventory: nothing changed", InventoryReport(variants=10, unchanged=10), 10, 0),
    ("newsletter", NewsletterReport(read=4, changed=1, failed=1), 4, 1),
    ("mail: SMTP down", MailReport(failed=2), 2, 2),
    ("mail: sent", MailReport(sent=2), 2, 0),
]


@pytest.mark.parametrize(
    ("report", "items", "failed"), [r[1:] for r in REPORTS], ids=[r[0] for r in REPORTS]
)
def test_every_report_exposes_its_items_and_failures(
    report: ItemCounts, items: int, failed: int
) -> None:
    assert (report.items, report.failed) == (items, failed)
    ctx = JobContext(app=None, settings=None, db=None, job_id="x")  # type: ignore[arg-type]
    ctx.tally(report)  # what every job does with its report
    assert (ctx.counts.read, ctx.counts.failed) == (items, failed)
    assert outcome_of(ctx.counts) == outcome_of(report)


def _registry() -> JobRegistry:
    reg = JobRegistry()

    def job(items: int, failed: int):  # type: ignore[no-untyped-def]
        def fn(ctx: JobContext) -> None:
            ctx.tally(RunCounts(read=items, failed=failed))
            ctx.changed(items - failed)

        return fn

    reg.job(id="all-fail", interval=lambda s: 60.0, description="every item fails")(job(3, 3))
    reg.job(id="some-fail", interval=lambda s: 60.0, description="one item fails")(job(3, 1))
    reg.job(id="idle", interval=lambda s: 60.0, description="nothing to do")(job(0, 0))
    return reg


def _outcomes(db: Database, job_id: str) -> list[tuple[str, str | None]]:
    with db.session_scope() as session:
        rows = session.execute(
            select(JobRun.outcome, JobRun.error).where(JobRun.job_id == job_id).order_by(JobRun.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_runner_records_the_outcome_the_counts_decide(sync_app: Flask, db: Database) -> None:
    reg = _registry()
    failed = run_job(sync_app, "all-fail", registry=reg)
    partial = run_job(sync_app, "some-fail", registry=reg)
    idle = run_job(sync_app, "idle", registry=reg)

    assert (failed.outcome, failed.ok, failed.error) == ("failed", False, "3 of 3 item(s) failed")
    assert (partial.outcome, partial.ok) == ("partial", False)
    assert (idle.outcome, idle.ok, idle.error) == ("succeeded", True, None)
    assert _outcomes(db, "all-fail") == [("failed", "3 of 3 item(s) failed")]
    assert _outcomes(db, "some-fail") == [("partial", "1 of 3 item(s) failed")]


def test_health_counts_all_failed_runs_as_failures_and_warns_of_partial_ones(
    sync_app: Flask,
) -> None:
    reg = _registry()
    for _ in range(FAILURE_STREAK_ALERT):
        run_job(sync_app, "all-fail", registry=reg)
    run_job(sync_app, "some-fail", registry=reg)
    run_job(sync_app, "idle", registry=reg)

    report = compute_health(sync_app, registry=reg, sources=[])

    jobs = {job.job_id: job for job in report.jobs}
    assert jobs["all-fail"].consecutive_failures == FAILURE_STREAK_ALERT
    assert jobs["all-fail"].last_success_at is None
    assert jobs["some-fail"].consecutive_failures == 0
    assert jobs["some-fail"].last_success_at is None  # partial is no success
    alerts = {(a.severity, a.code, a.job_id): a.message for a in report.alerts}
    assert alerts == {
        ("critical", "job_failing", "all-fail"): "all-fail failed 3 runs in a row",
        ("warning", "job_partial", "some-fail"): (
            "some-fail: 1 of 3 item(s) failed in its last run"
        ),
    }


def test_a_partial_run_ends_a_failure_streak_and_a_success_clears_the_warning(
    sync_app: Flask,
) -> None:
    reg = JobRegistry()
    script = iter([(2, 2), (2, 2), (2, 1), (2, 0)])

    @reg.job(id="mixed", interval=lambda s: 60.0, description="fails, then less, then not")
    def mixed(ctx: JobContext) -> None:
        items, failed = next(script)
        ctx.tally(RunCounts(read=items, failed=failed))

    run_job(sync_app, "mixed", registry=reg)
    run_job(sync_app, "mixed", registry=reg)
    assert compute_health(sync_app, registry=reg, sources=[]).jobs[0].consecutive_failures == 2
    run_job(sync_app, "mixed", registry=reg)
    partial = compute_health(sync_app, registry=reg, sources=[])
    assert partial.jobs[0].consecutive_failures == 0
    assert [a.code for a in partial.alerts] == ["job_partial"]
    run_job(sync_app, "mixed", registry=reg)
    assert compute_health(sync_app, registry=reg, sources=[]).alerts == ()
