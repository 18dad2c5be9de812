"""``storefront sync …``: run the scheduler, run one job now, show status and the job list.

Mounted by ``storefront/cli.py`` as the ``sync`` group. Settings come from the environment
(and a running ``storefront dev``, see ``storefront.clistate``); tests hand in a ready app and
registry through ``CliRunner.invoke(sync, …, obj=SyncCliState(app=…, registry=…))``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

import click

from storefront import error_reporting, observability
from storefront.clistate import CliState
from storefront.container import services
from sync.health import HealthReport, JobHealth, compute_health, format_age
from sync.lease import read_lease
from sync.registry import JobRegistry, UnknownJob, load_jobs
from sync.runner import JobRunResult, run_job
from sync.scheduler import build_scheduler


@dataclass
class SyncCliState(CliState):
    """The app and job registry the commands use; built from the environment when absent."""

    registry: JobRegistry | None = None

    def get_registry(self) -> JobRegistry:
        if self.registry is None:
            self.registry = load_jobs()
        return self.registry


pass_state = click.make_pass_decorator(SyncCliState, ensure=True)


@click.group("sync")
def sync() -> None:
    """Scheduled jobs: inventory, newsletter, payments, fulfillment and more."""


@sync.command("list")
@pass_state
def list_jobs(state: SyncCliState) -> None:
    """The registered jobs and how often they run."""
    settings = state.get_settings()
    registry = state.get_registry()
    if not len(registry):
        click.echo("no jobs registered")
        return
    rows = [
        (
            spec.id,
            format_age(timedelta(seconds=spec.interval_seconds(settings))),
            format_age(spec.expected_window(settings)),
            spec.description,
        )
        for spec in registry
    ]
    _table(("JOB", "EVERY", "OVERDUE AFTER", "DESCRIPTION"), rows)


@sync.command("run-once")
@click.argument("job_id", metavar="JOB")
@click.option("--dry-run", is_flag=True, help="Read and report; write nothing.")
@pass_state
def run_once(state: SyncCliState, job_id: str, dry_run: bool) -> None:
    """Run JOB now in this process, print what it did; exit 1 unless it succeeded (an
    outcome of failed, or partial: some items failed)."""
    registry = state.get_registry()
    if job_id not in registry:
        raise click.UsageError(str(UnknownJob(job_id, registry.ids())))
    result = run_job(
        state.get_app(),
        job_id,
        dry_run=dry_run,
        trigger="cli",
        interactive=True,
        registry=registry,
    )
    print_result(result)
    if not result.ok:
        raise SystemExit(1)


@sync.command("status")
@pass_state
def status(state: SyncCliState) -> None:
    """Last run of every job, the lease holder, and the alerts (exit 0 even with alerts)."""
    app = state.get_app()
    report = compute_health(app, registry=state.get_registry())
    lease = read_lease(services(app).db)
    if lease is None:
        click.echo("lease: free (no sync process is running)")
    elif lease.expires_at <= report.checked_at:
        click.echo(f"lease: expired, last held by {lease.holder}")
    else:
        left = format_age(lease.expires_at - report.checked_at)
        click.echo(f"lease: held by {lease.holder} (renew due within {left})")
    click.echo()
    _print_health(report)


@sync.command("run")
@pass_state
def run(state: SyncCliState) -> None:
    """Run the scheduler in this process until SIGTERM/SIGINT (one per deployment)."""

    app = state.get_app()
    read_lease(services(app).db)  # an unmigrated database stops here (storefront.cli.main)
    observability.log_to_stderr(state.get_settings().log_level)  # a server: its log is its console
    error_reporting.set_component("sync")
    scheduler = build_scheduler(app, blocking=True, registry=state.get_registry())
    stopper = threading.Thread(target=scheduler.shutdown, name="sync-shutdown")

    def _stop(signum: int, _frame: FrameType | None) -> None:
        # Shutting down from a signal handler would re-enter the scheduler's own lock in
        # this thread; a helper thread stops it and waits for running jobs instead.
        if not stopper.is_alive() and stopper.ident is None:
            click.echo(f"{signal.Signals(signum).name}: finishing running jobs…", err=True)
            stopper.start()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    ids = ", ".join(j.id for j in scheduler.get_jobs())
    click.echo(f"sync scheduler starting ({ids}); Ctrl+C to stop", err=True)
    try:
        scheduler.start()  # blocks until the stopper thread shuts the scheduler down
    finally:
        if stopper.ident is not None:
            stopper.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("sync scheduler stopped", err=True)


# --- output --------------------------------------------------------------------------------
def print_result(result: JobRunResult) -> None:
    mode = " (dry run: nothing written)" if result.dry_run else ""
    for line in result.notes:
        click.echo(f"  {line}")
    if result.notes_dropped:
        click.echo(f"  … {result.notes_dropped} more note(s) not kept")
    c = result.counts
    click.echo(
        f"{result.job_id}: {result.outcome}{mode} in {result.duration_s:.2f}s — "
        f"read {c.read}, changed {c.changed}, skipped {c.skipped}, failed {c.failed} "
        f"(run #{result.run_id})"
    )
    if result.error:
        # One line here; the traceback is in the JSON log.
        reason = result.error.splitlines()[0]
        log_file = observability.current_log_file()
        where = f" (details in {log_file})" if log_file else ""
        click.secho(f"error: {reason}{where}", fg="red", err=True)


def _print_health(report: HealthReport) -> None:
    rows = [_job_row(job, report) for job in report.jobs]
    if rows:
        headers = ("JOB", "LAST RUN", "AGE", "READ", "CHANGED", "SKIPPED", "FAILED", "STREAK")
        _table((*headers, "LAST OK"), rows)
    else:
        click.echo("no jobs registered")
    click.echo()
    if not report.alerts:
        click.secho("no alerts", fg="green")
        return
    click.secho(f"!! {len(report.alerts)} ALERT(S)", fg="red", bold=True)
    for alert in report.alerts:
        colour = "red" if alert.severity == "critical" else "yellow"
        click.secho(f"!! [{alert.severity.upper()}] {alert.code}: {alert.message}", fg=colour)


def _job_row(job: JobHealth, report: HealthReport) -> tuple[str, ...]:
    run = job.last_run
    last_ok = (
        format_age(report.checked_at - job.last_success_at) + " ago"
        if job.last_success_at
        else "never"
    )
    if job.overdue:
        last_ok += " (OVERDUE)"
    if run is None:
        return (job.job_id, "never", "-", "-", "-", "-", "-", "0", last_ok)
    outcome = run.outcome + (" (dry)" if run.dry_run else "")
    return (
        job.job_id,
        outcome,
        format_age(report.checked_at - run.started_at),
        str(run.read),
        str(run.changed),
        str(run.skipped),
        str(run.failed),
        str(job.consecutive_failures),
        last_ok,
    )


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
