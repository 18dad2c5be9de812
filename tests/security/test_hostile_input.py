"""Hostile input at the doors: non-ASCII secrets and deeply nested JSON get a 4xx, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.web import api

NESTED = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def app(app: Flask) -> Flask:
    api.init_app(app)
    app.config["RATELIMIT_ENABLED"] = False
    return app


@pytest.mark.parametrize("secret", ["gëheim", "秘密", "dev-gelato-webhook-secret\u00a0"])
def test_non_ascii_gelato_secret_is_a_404(client: FlaskClient, secret: str) -> None:
    resp = client.post(
        f"/webhooks/gelato/{quote(secret)}",
        json={"orderReferenceId": "SF-1", "event": "order_status_updated"},
        headers={"signature": "dev-gelato-webhook-secret"},
    )
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_non_ascii_gelato_header_is_a_404(client: FlaskClient) -> None:
    resp = client.post(
        "/webhooks/gelato/dev-gelato-webhook-secret",
        json={"orderReferenceId": "SF-1", "event": "order_status_updated"},
        headers={"signature": "gëheim".encode().decode("latin-1")},
    )
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_non_ascii_mailchimp_secret_is_a_404(client: FlaskClient, method: str) -> None:
    resp = client.open(f"/webhooks/mailchimp/{quote('gëheim')}", method=method, data={})
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_deeply_nested_json_on_the_api_is_a_400(client: FlaskClient) -> None:
    resp = client.post("/api/v1/users", data=NESTED, content_type="application/json")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_json"
    assert "nested" in error["message"]


def test_deeply_nested_json_on_a_webhook_is_a_400(client: FlaskClient) -> None:
    resp = client.post(
        "/webhooks/gelato/dev-gelato-webhook-secret",
        data=NESTED,
        content_type="application/json",
        headers={"signature": "dev-gelato-webhook-secret"},
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] in ("invalid_json", "bad_event")


def test_non_ascii_stripe_signature_is_a_400(client: FlaskClient) -> None:
    resp = client.post(
        "/webhooks/stripe",
        data=b'{"object": "event"}',
        content_type="application/json",
        headers={"Stripe-Signature": "t=1700000000,v1=" + "é".encode().decode("latin-1")},
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_signature"
