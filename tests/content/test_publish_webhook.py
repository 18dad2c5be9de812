"""``POST /webhooks/sanity`` at the door: only a correctly signed, fresh delivery invalidates
anything, and the same delivery twice acts once. (Removing the signature check or the
duplicate check used to leave the whole suite green.)"""

from __future__ import annotations

import json
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from storefront.container import services
from storefront.content.models import ContentInvalidation
from storefront.inbox.models import WebhookEvent
from storefront.sanity import signatures

BODY = json.dumps({"_id": "product-compost-happens", "_type": "product"}).encode()


def secret(app: Flask) -> str:
    return services(app).settings.sanity_webhook_secret.get_secret_value()


def now_ms() -> int:
    return int(time.time() * 1000)


def post(client: FlaskClient, body: bytes, signature: str | None, key: str = "whk-1"):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json", "idempotency-key": key}
    if signature is not None:
        headers[signatures.HEADER] = signature
    return client.post("/webhooks/sanity", data=body, headers=headers)


def counts(app: Flask) -> tuple[int, int]:
    """(webhook deliveries recorded, invalidations recorded) for the test document."""
    with services(app).db.session_scope() as session:
        deliveries = session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.provider == "sanity")
        )
        invalidations = session.scalar(
            select(func.count())
            .select_from(ContentInvalidation)
            .where(ContentInvalidation.document_id == "product-compost-happens")
        )
    return int(deliveries or 0), int(invalidations or 0)


@pytest.mark.parametrize(
    "forge",
    ["unsigned", "wrong-secret", "tampered-body", "stale", "future", "garbled"],
)
def test_a_forged_or_stale_publish_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, forge: str
) -> None:
    before = counts(app)
    body, stamp = BODY, now_ms()
    signature: str | None = signatures.sign(BODY, secret(app), stamp)
    if forge == "unsigned":
        signature = None
    elif forge == "wrong-secret":
        signature = signatures.sign(BODY, "not-the-secret", stamp)
    elif forge == "tampered-body":
        body = BODY.replace(b"compost-happens", b"compost-happens-x")
    elif forge == "stale":
        signature = signatures.sign(BODY, secret(app), stamp - 301_000)
    elif forge == "future":
        signature = signatures.sign(BODY, secret(app), stamp + 301_000)
    else:
        signature = "t=,v1=="
    response = post(client, body, signature)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert counts(app) == before


def test_a_signed_publish_invalidates_once_however_often_it_arrives(
    app: Flask, client: FlaskClient
) -> None:
    before_deliveries, before_invalidations = counts(app)
    signature = signatures.sign(BODY, secret(app), now_ms())
    first = post(client, BODY, signature, key="whk-dup")
    assert first.status_code == 200
    assert first.get_json()["outcome"] == "invalidated"
    for _ in range(3):
        again = post(client, BODY, signatures.sign(BODY, secret(app), now_ms()), key="whk-dup")
        assert again.status_code == 200
        assert again.get_json()["outcome"] == "duplicate"
    assert counts(app) == (before_deliveries + 1, before_invalidations + 1)
    other = post(client, BODY, signatures.sign(BODY, secret(app), now_ms()), key="whk-next")
    assert other.get_json()["outcome"] == "invalidated"
    assert counts(app) == (before_deliveries + 2, before_invalidations + 2)


def test_without_an_idempotency_key_the_transaction_and_document_dedupe(
    app: Flask, client: FlaskClient
) -> None:
    headers = {
        "Content-Type": "application/json",
        "sanity-transaction-id": "tx-42",
        signatures.HEADER: signatures.sign(BODY, secret(app), now_ms()),
    }
    outcomes = [
        client.post("/webhooks/sanity", data=BODY, headers=headers).get_json()["outcome"]
        for _ in range(2)
    ]
    assert outcomes == ["invalidated", "duplicate"]
