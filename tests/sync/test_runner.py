"""run_job on SQLite and PostgreSQL: the record survives whatever the job does."""

from __future__ import annotations

import pytest
from flask import Flask, current_app
from sqlalchemy import select

from storefront.db import Database
from storefront.jobs.models import JobRun
from storefront.orders.models import Order
from sync.context import JobContext
from sync.registry import JobRegistry, UnknownJob
from sync.runner import MAX_ERROR_CHARS, describe_error, run_job
from tests.conftest import make_settings


def _runs(db: Database) -> list[JobRun]:
    with db.session_scope() as session:
        return list(session.execute(select(JobRun).order_by(JobRun.id)).scalars())


def test_a_job_runs_and_its_counts_are_recorded(
    sync_app: Flask, db: Database, registry: JobRegistry
) -> None:
    result = run_job(sync_app, "counting", registry=registry)

    assert result.ok
    assert result.counts.as_dict() == {"read": 3, "changed": 2, "skipped": 1, "failed": 0}
    assert result.notes == ("updated a", "updated c")
    assert result.trigger == "schedule"
    [row] = _runs(db)
    assert row.id == result.run_id
    assert (row.job_id, row.outcome, row.dry_run) == ("counting", "succeeded", False)
    assert (row.read_count, row.changed_count, row.skipped_count, row.failed_count) == (3, 2, 1, 0)
    assert row.error is None
    assert row.finished_at is not None
    assert row.finished_at >= row.started_at


def test_a_dry_run_is_recorded_as_one_and_the_job_sees_it(
    sync_app: Flask, db: Database, registry: JobRegistry
) -> None:
    result = run_job(sync_app, "counting", dry_run=True, trigger="cli", registry=registry)

    assert result.dry_run
    assert result.notes == ("would update a", "would update c")
    [row] = _runs(db)
    assert row.dry_run is True
    assert row.outcome == "succeeded"


def test_a_failing_job_is_recorded_with_its_error_and_counts(
    sync_app: Flask, db: Database, registry: JobRegistry
) -> None:
    result = run_job(sync_app, "broken", registry=registry)

    assert not result.ok
    assert result.error == "RuntimeError: upstream said no"
    assert result.notes == ("about to fail",)
    [row] = _runs(db)
    assert row.outcome == "failed"
    assert row.error == "RuntimeError: upstream said no"
    assert row.read_count == 2
    assert row.finished_at is not None


def test_the_jobs_rolled_back_work_does_not_take_the_record_with_it(
    sync_app: Flask, db: Database
) -> None:
    reg = JobRegistry()

    @reg.job(id="half", interval=lambda s: 60.0, description="")
    def half(ctx: JobContext) -> None:
        with ctx.db.session_scope(write=True) as session:
            session.add(
                Order(
                    number="SF-1",
                    email="a@example.org",
                    status="paid",
                    currency="EUR",
                    subtotal_amount=1,
                    shipping_amount=0,
                    total_amount=1,
                    shipping_address={},
                )
            )
            session.flush()
            ctx.changed()
            raise ValueError("boom after a write")

    result = run_job(sync_app, "half", registry=reg)

    assert result.outcome == "failed"
    with db.session_scope() as session:
        assert session.execute(select(Order)).first() is None  # the job's work is gone
    [row] = _runs(db)
    assert (row.outcome, row.changed_count) == ("failed", 1)  # the record is not


def test_the_job_runs_inside_an_app_context(sync_app: Flask) -> None:
    seen: list[object] = []
    reg = JobRegistry()
    reg.job(id="ctx", interval=lambda s: 60.0, description="")(
        lambda ctx: seen.append(current_app._get_current_object())
    )
    assert run_job(sync_app, "ctx", registry=reg).ok
    assert seen == [sync_app]


def test_an_interrupt_is_recorded_and_then_propagates(sync_app: Flask, db: Database) -> None:
    reg = JobRegistry()

    @reg.job(id="interrupted", interval=lambda s: 60.0, description="")
    def interrupted(ctx: JobContext) -> None:
        ctx.read()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(sync_app, "interrupted", registry=reg)
    [row] = _runs(db)
    assert (row.outcome, row.error, row.read_count) == ("failed", "KeyboardInterrupt", 1)


def test_an_unknown_job_raises_before_recording(sync_app: Flask, db: Database) -> None:
    with pytest.raises(UnknownJob):
        run_job(sync_app, "nope", registry=JobRegistry())
    assert _runs(db) == []


def test_error_text_masks_secrets_and_is_truncated() -> None:
    settings = make_settings(stripe_api_key="sk_live_verysecret")
    exc = RuntimeError(
        "calling postgresql://shop:hunter2@db/x with sk_live_verysecret and "
        "Authorization: Bearer abc.def-123"
    )
    text = describe_error(exc, settings)
    assert "hunter2" not in text
    assert "sk_live_verysecret" not in text
    assert "abc.def-123" not in text
    assert text.startswith("RuntimeError: calling postgresql://***@db/x with *** and")
    assert text.endswith("Bearer ***")

    long = describe_error(ValueError("x" * 5000))
    assert len(long) == MAX_ERROR_CHARS
    assert long.endswith("…")
    assert describe_error(TimeoutError()) == "TimeoutError"
