"""Prometheus metrics: ``GET /metrics`` with request counts and latencies, content-cache
hits and misses, and gauges read from the database at scrape time.

Each app gets its own ``CollectorRegistry`` (kept in ``WebState.metrics``), so test
apps never share or collide in prometheus-client's global default registry. The database
gauges are computed by a custom collector on every scrape — a few ``GROUP BY`` counts —
so they are true for every web process alike, with nothing to keep in sync.

Wiring: ``metrics.init_app(app)`` in ``create_app``. Others record cache events with
:func:`content_cache_event` (a no-op where metrics are not installed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from flask import Blueprint, Flask, Request, Response, current_app, has_app_context
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from storefront.container import services
from storefront.db import Database
from storefront.inbox.models import WebhookEvent
from storefront.jobs import outcomes
from storefront.jobs.models import JobRun
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from storefront.web.auth import access
from storefront.web.state import web_state

#: Request latency buckets in seconds: a page should answer well under 250 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Label used for requests no route matched (404s) — raw paths would explode cardinality.
UNMATCHED_ROUTE = "<unmatched>"

_log = structlog.get_logger("storefront.web.metrics")


class Metrics:
    """The metrics of one app: its registry, the request and cache instruments, the DB collector."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "storefront_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "storefront_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.content_cache = Counter(
            "storefront_content_cache_events",
            "Content (GROQ) cache lookups by result (hit or miss).",
            ("result",),
            registry=self.registry,
        )
        for result in ("hit", "miss"):
            self.content_cache.labels(result=result)  # both series exist from the start
        self.registry.register(DatabaseCollector(db))

    def observe_request(
        self, request: Request, response: Response, duration_ms: float | None
    ) -> None:
        """A ``request_observers`` hook (called by ``storefront.observability`` per request)."""
        rule = request.url_rule
        labels = {
            "method": request.method,
            "route": rule.rule if rule is not None else UNMATCHED_ROUTE,
            "status": str(response.status_code),
        }
        self.requests.labels(**labels).inc()
        if duration_ms is not None:
            self.latency.labels(**labels).observe(duration_ms / 1000)

    def content_cache_event(self, hit: bool) -> None:
        self.content_cache.labels(result="hit" if hit else "miss").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Counts from the database, queried when Prometheus scrapes.

    A failing query does not fail the scrape: ``storefront_db_metrics_up`` turns 0 and the
    other metrics keep flowing, so an outage is visible instead of a gap.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Declared so registering needs no database (no I/O in create_app).
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = self._families()
        up = GaugeMetricFamily(
            "storefront_db_metrics_up", "1 when the database gauges could be read at this scrape."
        )
        try:
            self._fill(*families)
        except Exception:  # report, do not crash the scrape
            _log.exception("metrics.db_collect_failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from families
        yield up

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily("storefront_orders", "Orders by status.", labels=["status"]),
            GaugeMetricFamily(
                "storefront_outbox_entries",
                "Outbox entries by topic and status.",
                labels=["topic", "status"],
            ),
            GaugeMetricFamily(
                "storefront_webhook_events",
                "Recorded webhook events by provider and outcome.",
                labels=["provider", "outcome"],
            ),
            GaugeMetricFamily(
                "storefront_job_runs",
                "Recorded sync job runs by job and outcome (running, succeeded, partial, failed).",
                labels=["job", "outcome"],
            ),
            GaugeMetricFamily(
                "storefront_job_last_success_timestamp_seconds",
                "Unix time of each job's last successful real (not dry) run.",
                labels=["job"],
            ),
        ]

    def _fill(
        self,
        orders: GaugeMetricFamily,
        outbox: GaugeMetricFamily,
        webhooks: GaugeMetricFamily,
        job_runs: GaugeMetricFamily,
        last_success: GaugeMetricFamily,
    ) -> None:

        with self.db.session_scope() as session:

            def grouped(*columns: Any) -> list[Any]:
                stmt = select(*columns, func.count()).group_by(*columns).order_by(*columns)
                return list(session.execute(stmt).all())

            for status, count in grouped(Order.status):
                orders.add_metric([status], count)
            for topic, status, count in grouped(OutboxEntry.topic, OutboxEntry.status):
                outbox.add_metric([topic, status], count)
            for provider, outcome, count in grouped(WebhookEvent.provider, WebhookEvent.outcome):
                webhooks.add_metric([provider, outcome], count)
            for job, outcome, count in grouped(JobRun.job_id, JobRun.outcome):
                job_runs.add_metric([job, outcome], count)
            stmt = (
                select(JobRun.job_id, func.max(JobRun.finished_at))
                .where(JobRun.outcome == outcomes.SUCCEEDED, JobRun.dry_run.is_(False))
                .group_by(JobRun.job_id)
                .order_by(JobRun.job_id)
            )
            for job, finished in session.execute(stmt).all():
                if finished is not None:
                    last_success.add_metric([job], finished.timestamp())


def init_app(app: Flask, *, access_level: str = "operator") -> Metrics:
    """Install metrics on ``app``: registry, request observer and the ``/metrics`` route.

    ``access_level`` is the :func:`storefront.web.auth.access` level of ``/metrics``; operators
    by default, because the gauges reveal business volumes. A scraper authenticates with an
    operator API token (``Authorization: Bearer``, see ``storefront.web.api.bearer``).
    """
    metrics = Metrics(services(app).db)
    state = web_state(app)
    state.metrics = metrics
    state.request_observers.append(metrics.observe_request)
    app.register_blueprint(_blueprint(access_level))
    return metrics


def get_metrics(app: Flask) -> Metrics | None:
    return web_state(app).metrics


def content_cache_event(hit: bool, app: Flask | None = None) -> None:
    """Count one content-cache lookup; silently nothing without an app or without metrics."""
    if app is None:
        if not has_app_context():
            return
        app = current_app
    metrics = get_metrics(app)
    if metrics is not None:
        metrics.content_cache_event(hit)


def _blueprint(access_level: str) -> Blueprint:
    bp = Blueprint("metrics", __name__)

    @bp.get("/metrics")
    @access(access_level)
    def scrape() -> Response:
        metrics = web_state().metrics
        assert metrics is not None
        return Response(metrics.render(), mimetype=None, content_type=CONTENT_TYPE_LATEST)

    return bp
