"""The Gelato status job when Gelato fails, through the real runner and the operator's CLI:
a run in which every order failed is recorded ``failed`` and alerts; some failed is
``partial`` and warns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from emulators.common import LiveServer, wsgi_sender
from emulators.gelato import GelatoEmulator
from storefront.accounts import services as accounts
from storefront.app import create_app
from storefront.container import services
from storefront.jobs.models import JobRun
from sync.health import FAILURE_STREAK_ALERT, compute_health
from sync.registry import load_jobs
from sync.runner import run_job
from tests.conftest import make_settings
from tests.fulfillment_flow.conftest import SECRET, Printshop, gelato_client, paid_order
from tests.support.services import use_gelato

JOB = "fulfillment-status"
SEARCH = "POST /v4/orders:search"  # how the job reads an order back from Gelato
STOREFRONT = Path(sys.executable).with_name("storefront")


def _open_orders(printshop: Printshop, *numbers: str) -> None:
    load_jobs()
    for number in numbers:
        paid_order(printshop.app, number)
    assert run_job(printshop.app, "fulfillment-push").ok  # now submitted: open at Gelato


def _operator(printshop: Printshop) -> FlaskClient:
    with services(printshop.app).db.session_scope(write=True) as session:
        user = accounts.register(
            session, "ops@example.com", "correct horse battery", role="operator"
        )
        uid, version = user.id, accounts.session_version(user)
    client = printshop.app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["av"] = uid, version
    return client


def _alerts(printshop: Printshop) -> set[tuple[str, str]]:
    report = compute_health(printshop.app)
    return {(a.severity, a.code) for a in report.alerts if a.job_id == JOB}


@pytest.mark.parametrize("outage", ["5xx", "unreachable"])
def test_every_order_failing_is_a_failed_run_and_alerts(printshop: Printshop, outage: str) -> None:
    _open_orders(printshop, "SF-OUT00001", "SF-OUT00002")
    if outage == "5xx":
        printshop.gelato.faults.fail_next(SEARCH, times=1000, status=503)
    else:  # nothing listens on the discard port: connection refused
        services(printshop.app).gelato.close()
        use_gelato(printshop.app, gelato_client("http://127.0.0.1:9"))

    runs = [run_job(printshop.app, JOB) for _ in range(FAILURE_STREAK_ALERT)]

    assert [(r.outcome, r.counts.read, r.counts.failed) for r in runs] == [("failed", 2, 2)] * 3
    with services(printshop.app).db.session_scope() as session:
        recorded = session.execute(
            select(JobRun.outcome, JobRun.error).where(JobRun.job_id == JOB)
        ).all()
    assert [tuple(row) for row in recorded] == [("failed", "2 of 2 item(s) failed")] * 3
    assert _alerts(printshop) == {("critical", "job_failing")}


def test_some_orders_failing_is_a_partial_run_and_warns(printshop: Printshop) -> None:
    _open_orders(printshop, "SF-OUT00003", "SF-OUT00004")
    # The job reads the orders one by one; the client tries each search twice: the first
    # order's two tries fail, the second order's first try works.
    printshop.gelato.faults.fail_next(SEARCH, times=2, status=502)

    result = run_job(printshop.app, JOB)

    assert (result.outcome, result.counts.read, result.counts.failed) == ("partial", 2, 1)
    assert _alerts(printshop) == {("warning", "job_partial")}
    operator = _operator(printshop)
    page = operator.get("/admin/jobs").get_data(as_text=True)
    assert f"{JOB}: 1 of 2 item(s) failed in its last run" in page
    assert "partial" in page and "1 of 2 item(s) failed<" in page  # the run's outcome, why

    assert run_job(printshop.app, JOB).outcome == "succeeded"  # Gelato is back
    assert _alerts(printshop) == set()
    assert "item(s) failed" not in operator.get("/admin/jobs").get_data(as_text=True)


def test_the_operator_sees_the_failed_runs_in_sync_status(sqlite_url: str, tmp_path: Path) -> None:
    """``storefront sync run-once`` and ``sync status``, the installed script, as run by hand."""
    app = create_app(
        make_settings(database_url=sqlite_url, data_dir=tmp_path / "var", gelato_order_type="order")
    )
    services(app).mail_delivery = "off"
    emulator = GelatoEmulator(
        api_key="k",
        webhook_url=f"http://shop/webhooks/gelato/{SECRET}",
        webhook_header_value=SECRET,
        webhook_sender=wsgi_sender(app),
        webhook_retry_delay=0,
    )
    with LiveServer(emulator) as server:
        use_gelato(app, gelato_client(server.url))
        _open_orders(Printshop(app, emulator, server.url), "SF-OUT00005")
        emulator.faults.fail_next(SEARCH, times=1000, status=500)
        env = {
            **os.environ,
            "DATABASE_URL": sqlite_url,
            "STOREFRONT_ENV": "test",
            "DATA_DIR": str(tmp_path / "var"),
            "LOG_LEVEL": "WARNING",
            "GELATO_API_BASE": server.url,
            "GELATO_API_KEY": "k",
        }

        def storefront(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(STOREFRONT), "sync", *args],
                env=env,
                cwd=tmp_path,  # no stray .env
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        runs = [storefront("run-once", JOB) for _ in range(FAILURE_STREAK_ALERT)]
        status = storefront("status")
    services(app).gelato.close()
    services(app).db.dispose()

    for run in runs:
        assert run.returncode == 1, run.stderr
        assert f"{JOB}: failed in " in run.stdout
        assert "read 1, changed 0, skipped 0, failed 1" in run.stdout
        assert "error: 1 of 1 item(s) failed" in run.stderr
    assert status.returncode == 0, status.stderr
    assert f"!! [CRITICAL] job_failing: {JOB} failed 3 runs in a row" in status.stdout
