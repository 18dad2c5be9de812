"""Job health as the sync process sees it: its registry's jobs judged by
:mod:`storefront.jobs.health` (where the rules and alert sources live)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import Flask

from storefront.container import services
from storefront.jobs.health import (
    FAILURE_STREAK_ALERT,
    Alert,
    AlertSource,
    HealthReport,
    JobHealth,
    alert_sources,
    format_age,
    job_alerts,
    orders_needing_attention,
    paid_orders_not_submitted,
    register_alert_source,
)
from storefront.jobs.health import compute_health as _compute_health
from sync.registry import JobRegistry, load_jobs

__all__ = [
    "FAILURE_STREAK_ALERT",
    "Alert",
    "AlertSource",
    "HealthReport",
    "JobHealth",
    "alert_sources",
    "compute_health",
    "format_age",
    "job_alerts",
    "orders_needing_attention",
    "paid_orders_not_submitted",
    "register_alert_source",
]


def compute_health(
    app: Flask,
    *,
    registry: JobRegistry | None = None,
    now: datetime | None = None,
    sources: Iterable[AlertSource] | None = None,
) -> HealthReport:
    found = services(app)
    jobs = registry if registry is not None else load_jobs()
    return _compute_health(found.db, found.settings, jobs, now=now, sources=sources)
