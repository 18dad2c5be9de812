"""Payment webhooks at the door: a ±5-minute window for Stripe and PayPal alike, PayPal
certificates pinned in development, and production refusing the development webhook id."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from emulators.common import LiveServer
from emulators.paypal import PayPalEmulator
from emulators.paypal.signing import WebhookSigner
from emulators.stripe import sign_payload
from storefront.config import EMULATOR_PREFIXES
from storefront.container import services
from storefront.inbox.models import WebhookEvent
from tests.foundation.test_config import GOOD_PRODUCTION, REPO
from tests.support.devstack import DevStack, dev_stack
from tests.support.timing import ANSWERED_TIMEOUT

STRIPE_EVENT = json.dumps(
    {
        "id": "evt_window_1",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": {"id": "cs_nobody", "object": "checkout.session"}},
    }
).encode()


def _stripe(client: FlaskClient, at: float) -> int:
    header = sign_payload(STRIPE_EVENT, "whsec_local", int(at))  # the default test secret
    resp = client.post(
        "/webhooks/stripe",
        data=STRIPE_EVENT,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    return resp.status_code


def test_stripe_signatures_dated_in_the_future_are_refused(client: FlaskClient) -> None:
    now = time.time()
    assert _stripe(client, now + 24 * 3600) == 400  # a day ahead: a replay waiting to happen
    assert _stripe(client, now + 6 * 60) == 400
    assert _stripe(client, now - 6 * 60) == 400
    assert _stripe(client, now + 60) == 200  # clocks drift a little
    assert _stripe(client, now) == 200


# --- PayPal, against the whole dev shop ------------------------------------------------------
def _capture_event(event_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "event_version": "1.0",
            "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resource_type": "capture",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": {
                "id": "CAPTURE-FORGED",
                "status": "COMPLETED",
                "amount": {"currency_code": "EUR", "value": "1.00"},
                "custom_id": "1",
                "supplementary_data": {"related_ids": {"order_id": "PAYPAL-ORDER-X"}},
            },
        }
    ).encode()


class _CertHost:
    """Any local process: serves its own certificate the way PayPal's cert host does."""

    def __init__(self, signer: WebhookSigner) -> None:
        self.signer = signer

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/x-pem-file")])
        return [self.signer.cert_pem]


@pytest.fixture
def stack(tmp_path: Path, sqlite_url: str) -> Iterator[DevStack]:
    with dev_stack(sqlite_url, tmp_path / "var") as running:
        yield running


def _post(stack: DevStack, body: bytes, headers: dict[str, str]) -> int:
    with httpx.Client(base_url=stack.url, timeout=ANSWERED_TIMEOUT) as http:
        return http.post("/webhooks/paypal", content=body, headers=headers).status_code


def _recorded(stack: DevStack) -> list[str]:
    with services(stack.app).db.session_scope() as session:
        return list(session.execute(select(WebhookEvent.event_id)).scalars())


def test_paypal_window_and_pinned_certificate_in_dev(stack: DevStack) -> None:
    emulator = stack.emulators[EMULATOR_PREFIXES["paypal"]]
    assert isinstance(emulator, PayPalEmulator)
    webhook_id = stack.settings.paypal_webhook_id
    now = datetime.now(UTC)

    def signed(event_id: str, at: datetime) -> tuple[bytes, dict[str, str]]:
        body = _capture_event(event_id)
        headers = emulator.signer.headers(
            body, webhook_id=webhook_id, cert_url=emulator.cert_url, now=at
        )
        return body, headers

    assert _post(stack, *signed("WH-STALE", now - timedelta(minutes=6))) == 400
    assert _post(stack, *signed("WH-EARLY", now + timedelta(minutes=6))) == 400

    # Another local process serves its own certificate on 127.0.0.1 and signs with it.
    forger = WebhookSigner()
    with LiveServer(_CertHost(forger)) as cert_host:
        body = _capture_event("WH-FORGED")
        headers = forger.headers(
            body,
            webhook_id=webhook_id,
            cert_url=f"{cert_host.url}/v1/notifications/certs/{forger.cert_name}",
        )
        assert _post(stack, body, headers) == 400
    assert _recorded(stack) == []

    # The emulator's own certificate, signed now: accepted (and not ours to act on).
    assert _post(stack, *signed("WH-FRESH", now)) == 200
    assert _recorded(stack) == ["WH-FRESH"]
    with services(stack.app).db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


def test_production_refuses_the_development_paypal_webhook_id() -> None:
    env = {k: v for k, v in GOOD_PRODUCTION.items() if k != "PAYPAL_WEBHOOK_ID"}
    proc = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=REPO,
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "storefront: configuration error: PAYPAL_WEBHOOK_ID: set the id of your PayPal "
        "webhook for production"
    ]
