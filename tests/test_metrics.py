"""GET /metrics: request counters, DB gauges at scrape time, cache counters, access."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from emulators.common import LiveServer
from storefront.app import create_app
from storefront.container import services
from storefront.db import Database, utcnow
from storefront.inbox.models import WebhookEvent
from storefront.jobs.models import JobRun
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from storefront.web import metrics
from storefront.web.auth import CurrentUser
from storefront.web.state import web_state
from tests.conftest import make_settings


def _install(app: Flask) -> metrics.Metrics:
    installed = web_state(app).metrics  # create_app installs them
    assert installed is not None
    return installed


def _as_operator(app: Flask) -> None:
    operator = CurrentUser(id=1, email="ops@example.org", role="operator", via="token")
    web_state(app).user_resolvers.insert(0, lambda: operator)


@pytest.fixture
def metrics_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(make_settings(database_url=db_url, data_dir=tmp_path / "var"))
    _install(app)
    _as_operator(app)
    yield app
    services(app).db.dispose()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _get(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _samples(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    out: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def test_requests_are_counted_by_route_template_and_status(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/page/123").status_code == 404

    samples = _samples(client)

    ok = {"method": "GET", "route": "/healthz", "status": "200"}
    assert _get(samples, "storefront_http_requests_total", **ok) == 2
    assert _get(samples, "storefront_http_request_duration_seconds_count", **ok) == 2
    assert _get(samples, "storefront_http_request_duration_seconds_bucket", le="+Inf", **ok) == 2
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert _get(samples, "storefront_http_requests_total", **unmatched) == 1


def test_db_gauges_are_computed_at_scrape_time(metrics_app: Flask) -> None:
    db: Database = services(metrics_app).db
    client = metrics_app.test_client()
    before = _samples(client)
    assert _get(before, "storefront_db_metrics_up") == 1
    assert not any(name == "storefront_orders" for name, _labels in before)

    finished = utcnow()
    with db.session_scope(write=True) as session:
        for number, status in (("SF-1", "paid"), ("SF-2", "paid"), ("SF-3", "needs_attention")):
            session.add(
                Order(
                    number=number,
                    email="a@example.org",
                    status=status,
                    currency="EUR",
                    subtotal_amount=1,
                    shipping_amount=0,
                    total_amount=1,
                    shipping_address={},
                )
            )
        session.add(OutboxEntry(topic="gelato.submit", key="SF-1", status="pending"))
        session.add(OutboxEntry(topic="gelato.submit", key="SF-2", status="done"))
        session.add(
            WebhookEvent(provider="stripe", event_id="evt_1", event_type="x", outcome="processed")
        )
        session.add(JobRun(job_id="outbox", outcome="succeeded", finished_at=finished))
        session.add(JobRun(job_id="outbox", outcome="failed", finished_at=finished))
        session.add(JobRun(job_id="outbox", outcome="partial", finished_at=utcnow()))
        session.add(
            JobRun(job_id="outbox", outcome="succeeded", dry_run=True, finished_at=utcnow())
        )

    samples = _samples(client)

    assert _get(samples, "storefront_orders", status="paid") == 2
    assert _get(samples, "storefront_orders", status="needs_attention") == 1
    assert _get(samples, "storefront_outbox_entries", status="pending", topic="gelato.submit") == 1
    assert _get(samples, "storefront_outbox_entries", status="done", topic="gelato.submit") == 1
    assert _get(samples, "storefront_webhook_events", outcome="processed", provider="stripe") == 1
    assert _get(samples, "storefront_job_runs", job="outbox", outcome="succeeded") == 2
    assert _get(samples, "storefront_job_runs", job="outbox", outcome="failed") == 1
    assert _get(samples, "storefront_job_runs", job="outbox", outcome="partial") == 1
    last = _get(samples, "storefront_job_last_success_timestamp_seconds", job="outbox")
    # the real successful run: not the dry one, not the later partial one
    assert last == pytest.approx(finished.timestamp(), abs=0.001)


def test_content_cache_counters(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    with metrics_app.app_context():
        metrics.content_cache_event(True)
        metrics.content_cache_event(True)
        metrics.content_cache_event(False)
    metrics.content_cache_event(True)  # no app context: ignored, never an error
    metrics.content_cache_event(False, app=metrics_app)  # explicit app, e.g. a refresh thread
    samples = _samples(client)
    assert _get(samples, "storefront_content_cache_events_total", result="hit") == 2
    assert _get(samples, "storefront_content_cache_events_total", result="miss") == 2


def test_each_app_has_its_own_registry(app: Flask) -> None:
    first = _install(app)
    other = create_app(make_settings(database_url=services(app).settings.database_url))
    try:
        second = _install(other)
        assert first.registry is not second.registry
        first.content_cache_event(True)
        assert second.content_cache.labels(result="hit")._value.get() == 0
    finally:
        services(other).db.dispose()


def test_metrics_are_for_operators_only(app: Flask) -> None:
    _install(app)
    response = app.test_client().get("/metrics", headers={"Accept": "application/json"})
    assert response.status_code == 401
    customer = CurrentUser(id=2, email="c@example.org", role="customer", via="session")
    web_state(app).user_resolvers.insert(0, lambda: customer)
    assert app.test_client().get("/metrics").status_code == 403


def test_a_database_outage_does_not_fail_the_scrape(
    metrics_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(metrics.DatabaseCollector, "_fill", down)
    samples = _samples(metrics_app.test_client())
    assert _get(samples, "storefront_db_metrics_up") == 0
    assert _get(samples, "storefront_orders", status="paid") is None


# --- the door Prometheus uses: HTTP with an operator's API token ---------------------------
#: What Prometheus 2.x sends when it scrapes (it prefers OpenMetrics, takes the text format).
PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "User-Agent": "Prometheus/2.53.0",
}
STOREFRONT = Path(sys.executable).with_name("storefront")


def _storefront(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> str:
    """The installed console script, as an operator runs it."""
    proc = subprocess.run(
        [str(STOREFRONT), *args],
        env=env,
        cwd=cwd,  # no stray .env
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_prometheus_scrapes_with_an_operator_token_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "STOREFRONT_ENV": "test",
        "DATA_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }
    _storefront(env, tmp_path, "db", "upgrade")
    _storefront(
        env,
        tmp_path,
        *("users", "create-admin", "ops@example.com", "--role", "operator", "--password-stdin"),
        stdin="a long operator password",
    )
    scraper = _storefront(
        env, tmp_path, "tokens", "create", "--email", "ops@example.com", "--role", "operator"
    ).strip()

    app = create_app(make_settings(database_url=url, data_dir=tmp_path / "var"))
    services(app).mail_delivery = "off"
    try:
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            created = http.post(
                "/api/v1/users",
                json={"email": "fan@example.com", "password": "a long shopper password"},
            )
            assert created.status_code == 201, created.text
            shopper = _storefront(
                env, tmp_path, "tokens", "create", "--email", "fan@example.com"
            ).strip()
            for _ in range(2):
                assert http.get("/healthz").status_code == 200

            scrape = http.get(
                "/metrics", headers={**PROMETHEUS_HEADERS, "Authorization": f"Bearer {scraper}"}
            )
            assert scrape.status_code == 200, scrape.text
            assert scrape.headers["content-type"].startswith("text/plain; version=")
            families = {f.name: f for f in text_string_to_metric_families(scrape.text)}
            requests = {
                (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
                for s in families["storefront_http_requests"].samples
                if s.name == "storefront_http_requests_total"
            }
            assert requests[("GET", "/healthz", "200")] == 2
            assert requests[("POST", "/api/v1/users", "201")] == 1
            assert families["storefront_http_requests"].type == "counter"
            assert families["storefront_http_request_duration_seconds"].type == "histogram"
            (up,) = families["storefront_db_metrics_up"].samples
            assert up.value == 1

            admin = http.get("/admin", headers={"Authorization": f"Bearer {scraper}"})
            assert admin.status_code == 302  # pages for people still want a login

            refused = {
                "customer token": {"Authorization": f"Bearer {shopper}"},
                "unknown token": {"Authorization": "Bearer sf_not-a-real-token"},
                "no token": {},
            }
            answers = {
                who: http.get("/metrics", headers={**PROMETHEUS_HEADERS, **headers})
                for who, headers in refused.items()
            }
    finally:
        services(app).db.dispose()
    codes = {who: (r.status_code, r.json()["error"]["code"]) for who, r in answers.items()}
    assert codes == {
        "customer token": (403, "forbidden"),
        "unknown token": (401, "invalid_token"),
        "no token": (401, "unauthorized"),
    }
    assert not any("location" in r.headers for r in answers.values())  # never a login redirect
