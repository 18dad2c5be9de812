"""Which sync jobs exist: one decorated function per job, registered under a stable id.

A job module (``sync/jobs/<name>.py``) declares its job with :func:`job`; ``sync/jobs/__init__``
imports every job module, so :func:`load_jobs` is the one place that decides what runs.
The id is the contract: it names the APScheduler job, the ``job_runs`` rows, the CLI
argument and the metrics label, so it never changes once deployed.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from storefront.jobs.schedule import DEFAULT_EXPECTED_FACTOR, PLANS, ExpectedWithin, expected_window

if TYPE_CHECKING:
    from storefront.config import Settings
    from sync.context import JobContext

JobFunction = Callable[["JobContext"], None]
IntervalFn = Callable[["Settings"], float]

#: Lower-case, starts with a letter, fits ``job_runs.job_id`` (64).
JOB_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class UnknownJob(LookupError):
    """No job is registered under this id; ``known`` lists the ids that are."""

    def __init__(self, job_id: str, known: list[str]) -> None:
        self.job_id = job_id
        self.known = known
        listed = ", ".join(known) if known else "(none registered)"
        super().__init__(f"unknown job {job_id!r}; known jobs: {listed}")


@dataclass(frozen=True)
class JobSpec:
    """A registered job: its function plus how often it runs and how late it may be."""

    id: str
    fn: JobFunction
    interval: IntervalFn
    expected_within: ExpectedWithin
    description: str

    def interval_seconds(self, settings: Settings) -> float:
        seconds = float(self.interval(settings))
        if seconds <= 0:
            raise ValueError(f"job {self.id!r}: interval must be positive, got {seconds}")
        return seconds

    def expected_window(self, settings: Settings) -> timedelta:
        """How long after its last success the job counts as overdue."""
        return expected_window(self.expected_within, self.interval_seconds(settings), settings)


class JobRegistry:
    """Jobs by id. The module-level :data:`REGISTRY` is the real one; tests build their own."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobSpec] = {}

    def job(
        self,
        *,
        id: str,
        interval: IntervalFn,
        expected_within: ExpectedWithin = DEFAULT_EXPECTED_FACTOR,
        description: str,
    ) -> Callable[[JobFunction], JobFunction]:
        """Decorator registering ``fn(ctx) -> None`` under ``id``; returns ``fn`` unchanged.

        ``interval`` reads the seconds from settings (``lambda s: s.sync_outbox_interval``);
        ``expected_within`` is a timedelta or a factor of the interval.
        """

        def register(fn: JobFunction) -> JobFunction:
            self.add(JobSpec(id, fn, interval, expected_within, description))
            return fn

        return register

    def add(self, spec: JobSpec) -> None:
        if not JOB_ID.match(spec.id):
            raise ValueError(f"job id {spec.id!r} must match {JOB_ID.pattern}")
        if isinstance(spec.expected_within, int | float) and spec.expected_within < 1:
            raise ValueError(f"job {spec.id!r}: expected_within factor must be >= 1")
        existing = self._jobs.get(spec.id)
        if existing is not None and _qualname(existing.fn) != _qualname(spec.fn):
            raise ValueError(
                f"job id {spec.id!r} is taken by {_qualname(existing.fn)}; "
                f"cannot register {_qualname(spec.fn)}"
            )
        self._jobs[spec.id] = spec  # same function again (a module re-import) replaces

    def get(self, job_id: str) -> JobSpec:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise UnknownJob(job_id, self.ids()) from None

    def ids(self) -> list[str]:
        return sorted(self._jobs)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self._jobs[i] for i in self.ids())

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs


def _qualname(fn: JobFunction) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


#: The process's jobs. Only ``@scheduled`` in ``sync/jobs/*`` modules adds to it.
REGISTRY = JobRegistry()
job = REGISTRY.job


def scheduled(job_id: str) -> Callable[[JobFunction], JobFunction]:
    """Register the function as the job of ``storefront.jobs.schedule.PLANS[job_id]`` (its
    interval, lateness and description come from there, the one table)."""
    plan = PLANS[job_id]
    return REGISTRY.job(
        id=plan.id,
        interval=plan.interval,
        expected_within=plan.expected_within,
        description=plan.description,
    )


def load_jobs() -> JobRegistry:
    """Import every job module (listed in ``sync/jobs/__init__.py``) and return the registry."""
    importlib.import_module("sync.jobs")
    return REGISTRY
