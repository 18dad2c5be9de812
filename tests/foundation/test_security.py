import re

import pytest
from flask import Flask, render_template_string

from storefront.app import create_app
from storefront.web.auth import access
from tests.conftest import make_settings

FORM = '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>'


@pytest.fixture
def app(app: Flask) -> Flask:
    @app.get("/_test/form")
    @access("public")
    def _form():  # type: ignore[no-untyped-def]
        return render_template_string(FORM)

    @app.post("/_test/form")
    @access("public")
    def _post():  # type: ignore[no-untyped-def]
        return "ok"

    @app.post("/webhooks/_test")
    @access("public")
    def _hook():  # type: ignore[no-untyped-def]
        return "hook"

    return app


def test_form_post_without_token_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/_test/form", data={"x": "1"}, headers={"Accept": "text/html"})
    assert resp.status_code == 400
    assert "This form has expired" in resp.get_data(as_text=True)


def test_form_post_with_token_passes(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/_test/form").get_data(as_text=True)
    token = re.search(r'value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/_test/form", data={"csrf_token": token}).status_code == 200


def test_webhooks_are_exempt(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/webhooks/_test", data=b"{}").status_code == 200


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in resp.headers


def test_hsts_in_production(tmp_path, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        storefront_env="production",
        secret_key="s" * 40,
        base_url="https://shop.example",
        database_url=sqlite_url,
        data_dir=tmp_path,
        sanity_project_id="p1",
        sanity_webhook_secret="a",
        stripe_api_key="b",
        stripe_webhook_secret="c",
        paypal_client_secret="d",
        paypal_webhook_id="WH-REAL",
        gelato_api_key="e",
        gelato_webhook_secret="f",
        mailchimp_api_key="g-us1",
        mailchimp_webhook_secret="h",
        smtp_url="smtp://m:25",
        data_keys="k1:" + "B" * 43 + "=",
    )
    resp = create_app(settings).test_client().get("/healthz")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "https://cdn.sanity.io" in resp.headers["Content-Security-Policy"]
