"""Errors reach Sentry — a local endpoint standing in for its ingest — tagged with release
and environment, and with no personal data or secret in what is sent."""

from __future__ import annotations

import re
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sentry_sdk
from flask import Flask
from pydantic import SecretStr
from sqlalchemy import text

from emulators.common import LiveServer
from storefront import migrate
from storefront.app import create_app
from storefront.container import services
from storefront.error_reporting import configured_secrets, init_error_reporting, scrub_text
from storefront.web.auth import access
from sync.context import JobContext
from sync.registry import JobRegistry
from sync.runner import run_job
from tests.cli.support import STOREFRONT, console_env, free_port
from tests.conftest import make_settings
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.sentry_ingest import SentryIngest
from tests.support.services import push

EMAIL = "janet.quill@example.org"
FIRST, LAST = "Janet", "Quill"
ADDRESS, CITY, POST_CODE = "17 Marrow Lane", "Oxenford", "OX9 4QZ"
PHONE = "+44 20 7946 0958"
TOKEN = "sfk_a1B2c3D4e5F6g7H8i9J0k1L2"
IP = "203.0.113.77"
SECRET_KEY = "kept-out-of-sentry-" * 3
STRIPE_KEY = "sk_live_TESTONLYabcdef123456"
PERSONAL = (EMAIL, FIRST, LAST, ADDRESS, CITY, POST_CODE, PHONE, TOKEN, IP, SECRET_KEY, STRIPE_KEY)
RELEASE = "storefront@rehearsal-1"


def reporting_app(ingest: SentryIngest, tmp_path: Path, database_url: str) -> Flask:
    return create_app(
        make_settings(
            database_url=database_url,
            data_dir=tmp_path / "var",
            sentry_dsn=ingest.dsn(),
            sentry_release=RELEASE,
            secret_key=SECRET_KEY,
            stripe_api_key=STRIPE_KEY,
            proxy_hops=1,
        )
    )


def assert_nothing_personal(ingest: SentryIngest) -> None:
    sent = ingest.raw().decode()
    leaked = [value for value in PERSONAL if value in sent]
    assert not leaked, f"{leaked} reached Sentry"


def test_an_unhandled_error_in_a_request_arrives_tagged_and_scrubbed(
    ingest: SentryIngest, tmp_path: Path, sqlite_url: str
) -> None:
    app = reporting_app(ingest, tmp_path, sqlite_url)

    @access("public")
    def ship(ref: str) -> str:
        # A library that echoes what it was given, as many do.
        raise ValueError(
            f"cannot ship {ref} to {FIRST} {LAST}, {ADDRESS}, {CITY} {POST_CODE} "
            f"({EMAIL}, {PHONE}) with {STRIPE_KEY}"
        )

    app.add_url_rule("/_test/ship/<ref>", view_func=ship, methods=["POST"])
    with LiveServer(app) as server:
        response = httpx.post(
            f"{server.url}/_test/ship/{TOKEN}",
            params={"email": EMAIL, "name": f"{FIRST} {LAST}"},
            data={
                "first_name": FIRST,
                "last_name": LAST,
                "address_line1": ADDRESS,
                "city": CITY,
                "post_code": POST_CODE,
                "phone": PHONE,
            },
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "X-Forwarded-For": IP,
                "Origin": server.url,
                "Cookie": f"sf_cart={TOKEN}",
                "Accept": "application/json",
            },
        )
        assert response.status_code == 500
        assert "Traceback" not in response.text
        sentry_sdk.flush()
        event = ingest.wait_for(lambda e: "exception" in e)
    assert event["release"] == RELEASE
    assert event["environment"] == "test"
    assert event["tags"]["component"] == "web"
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"] == f"{server.url}/_test/ship/[Filtered]"
    assert_nothing_personal(ingest)
    services(app).db.dispose()


# Raw SQL, so the personal data is in the statement's echo (the blind index is unique).
INSERT_CUSTOMER = text(
    "INSERT INTO customers (email, email_index, name, role, created_at, updated_at) "
    "VALUES (:email, 'k:index-of-the-address', :name, 'customer', :now, :now)"
)
CUSTOMER = {"email": EMAIL, "name": f"{FIRST} {LAST}", "now": datetime(2030, 1, 1, tzinfo=UTC)}


def test_a_failed_job_arrives_with_the_database_echo_scrubbed(
    ingest: SentryIngest, tmp_path: Path, db_url: str
) -> None:
    app = reporting_app(ingest, tmp_path, db_url)
    db = services(app).db
    with db.session_scope(write=True) as session:
        session.execute(INSERT_CUSTOMER, CUSTOMER)
    registry = JobRegistry()

    @registry.job(id="import-customers", interval=lambda s: 60.0, description="test")
    def import_customers(ctx: JobContext) -> None:
        with ctx.db.session_scope(write=True) as session:  # the same customer again
            session.execute(INSERT_CUSTOMER, CUSTOMER)

    result = run_job(app, "import-customers", registry=registry)
    assert result.outcome == "failed"
    sentry_sdk.flush()
    event = ingest.wait_for(lambda e: e.get("logentry", {}).get("message") == "job.failed")
    assert event["extra"]["job_id"] == "import-customers"
    assert event["exception"]["values"][-1]["type"] == "IntegrityError"
    assert event["release"] == RELEASE
    assert event["environment"] == "test"
    assert_nothing_personal(ingest)
    db.dispose()


def test_a_parked_outbox_entry_arrives(ingest: SentryIngest, printshop: Printshop) -> None:
    settings = services(printshop.app).settings.model_copy(
        update={"sentry_dsn": SecretStr(ingest.dsn()), "sentry_release": RELEASE}
    )
    init_error_reporting(settings)
    paid_order(printshop.app, "SF-PARKED9")
    printshop.gelato.faults.fail_next("POST /v4/orders", status=400)
    assert push(printshop.app).parked == 1
    sentry_sdk.flush()
    event = ingest.wait_for(lambda e: e.get("logentry", {}).get("message") == "outbox.parked")
    assert event["level"] == "error"
    assert event["extra"]["topic"] == "gelato.push"
    assert event["extra"]["key"] == "SF-PARKED9"
    assert "Gelato refused the order" in event["extra"]["error"]
    assert event["release"] == RELEASE
    assert "ada@example.com" not in ingest.raw().decode()


@pytest.mark.slow
def test_the_sync_process_reports_a_failing_job(ingest: SentryIngest, tmp_path: Path) -> None:
    """``storefront sync run`` as installed: its inventory job cannot reach the content API."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    env = console_env(
        tmp_path / "var",
        DATABASE_URL=url,
        STOREFRONT_ENV="test",
        LOG_LEVEL="WARNING",
        SENTRY_DSN=ingest.dsn(),
        SENTRY_RELEASE=RELEASE,
        SENTRY_ENVIRONMENT="rehearsal",
        SANITY_API_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        SANITY_WRITE_TOKEN=TOKEN,
    )
    proc = subprocess.Popen(
        [str(STOREFRONT), "sync", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        event = ingest.wait_for(
            lambda e: e.get("extra", {}).get("job_id") == "inventory" and e.get("level") == "error"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
    assert event["tags"]["component"] == "sync"
    assert event["environment"] == "rehearsal"
    assert event["release"] == RELEASE
    assert TOKEN not in ingest.raw().decode()


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("mail to janet.quill@example.org failed", "mail to", EMAIL),
        ("call +44 20 7946 0958 now", "call", PHONE),
        ("GET https://user:hunter2pass@api.example/x", "api.example", "hunter2pass"),
        ("Authorization: Bearer abc.def.ghi", "Authorization", "abc.def.ghi"),
        (f"link /orders/SF-1?t={TOKEN}", "/orders/SF-1", TOKEN),
        (
            "1 validation error for Address\nline1\n  String too long "
            "[type=string_too_long, input_value='17 Marrow Lane', input_type=str]",
            "string_too_long",
            ADDRESS,
        ),
        (
            "(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "
            '"uq_customers_email"\nDETAIL:  Key (email)=(janet.quill@example.org) already '
            "exists.\n[SQL: INSERT INTO customers (email, name) VALUES (%(email)s, %(name)s)]"
            "\n[parameters: {'email': 'x', 'name': 'Janet Quill'}]\n(Background on this error "
            "at: https://sqlalche.me/e/20/gkpj)",
            "uq_customers_email",
            "Janet Quill",
        ),
        ("storefront.fulfillment.push failed for SF-2031-00042", "SF-2031-00042", "[token]"),
    ],
)
def test_free_text_loses_personal_data_and_keeps_the_rest(text: str, kept: str, gone: str) -> None:
    scrubbed = scrub_text(text)
    assert kept in scrubbed
    assert gone not in scrubbed


def test_configured_secrets_are_masked_wherever_they_appear() -> None:
    settings = make_settings(stripe_api_key=STRIPE_KEY, secret_key=SECRET_KEY)
    scrubbed = scrub_text(f"stripe said no to {STRIPE_KEY}", configured_secrets(settings))
    assert STRIPE_KEY not in scrubbed
    assert re.search(r"stripe said no to \[secret\]", scrubbed)
