"""What a job gets to work with: the app, settings, database, dry-run flag and its tally.

The counters and notes are the job's report: the runner stores the counts in ``job_runs``,
decides the run's outcome from them (``storefront.jobs.outcomes``: none failed, some, all)
and ``storefront sync run-once`` prints the notes. A job in dry-run mode reads everything
it normally would, counts what it *would* change, notes it, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click
import structlog

from storefront.container import Services, services

if TYPE_CHECKING:
    from flask import Flask

    from storefront.config import Settings
    from storefront.db import Database
    from storefront.jobs.outcomes import ItemCounts

T = TypeVar("T")

#: Notes kept per run; a job that notes every one of 100k items should not eat the memory.
MAX_NOTES = 1000


@dataclass
class RunCounts:
    read: int = 0
    changed: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def items(self) -> int:
        """Items of this run, for ``storefront.jobs.outcomes.outcome_of``: the ones read."""
        return self.read

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "changed": self.changed,
            "skipped": self.skipped,
            "failed": self.failed,
        }


@dataclass
class JobContext:
    """Handed to ``fn(ctx)``. ``interactive`` is True under ``run-once`` (progress bars shown)."""

    app: Flask
    settings: Settings
    db: Database
    job_id: str
    dry_run: bool = False
    interactive: bool = False
    run_id: int | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    notes: list[str] = field(default_factory=list)
    notes_dropped: int = 0
    log: Any = field(init=False, repr=False)  # structlog logger bound to job and run

    @property
    def services(self) -> Services:
        """The app's services (clients, gateways…), to hand to domain functions."""
        return services(self.app)

    @property
    def claim_lease(self) -> timedelta:
        """How long this job's claims on outbox work last without a heartbeat."""
        return timedelta(seconds=self.settings.outbox_lease)

    def __post_init__(self) -> None:
        self.log = structlog.get_logger("sync.job").bind(
            job_id=self.job_id, run_id=self.run_id, dry_run=self.dry_run
        )

    # --- the tally ---------------------------------------------------------------------------
    def read(self, n: int = 1) -> None:
        """Items looked at (records fetched, documents compared)."""
        self.counts.read += n

    def changed(self, n: int = 1) -> None:
        """Items written — or, in a dry run, that would have been written."""
        self.counts.changed += n

    def skipped(self, n: int = 1) -> None:
        """Items deliberately left alone (already in sync, not ours, not due)."""
        self.counts.skipped += n

    def failed(self, n: int = 1) -> None:
        """Items that failed while the job as a whole went on (count them as read too)."""
        self.counts.failed += n

    def tally(self, report: ItemCounts) -> None:
        """Add a report's items (as read) and its failures; changed and skipped stay the
        job's to count, because each report names those differently."""
        self.read(report.items)
        self.failed(report.failed)

    # --- the story ---------------------------------------------------------------------------
    def note(self, line: str) -> None:
        """One line of what the job did (or would do); printed by ``run-once``, logged at debug."""
        self.log.debug("note", note=line)
        if len(self.notes) < MAX_NOTES:
            self.notes.append(line)
        else:
            self.notes_dropped += 1

    def progress(
        self, iterable: Iterable[T], length: int | None = None, label: str | None = None
    ) -> Iterator[T]:
        """Iterate, showing a progress bar when a person is watching (``run-once``)."""
        if not self.interactive:
            yield from iterable
            return
        with click.progressbar(iterable, length=length, label=label) as bar:
            yield from bar
