import json

import pytest
from flask import Flask, request

from storefront.errors import NotFound, ValidationFailed
from storefront.web.auth import access

HTML = {"Accept": "text/html,application/xhtml+xml"}
BEARER = {"Authorization": "Bearer test-token"}  # API calls with a token are CSRF-exempt


@pytest.fixture
def app(app: Flask) -> Flask:
    @app.post("/api/v1/_test/echo")
    @access("public")
    def _echo():  # type: ignore[no-untyped-def]
        return {"got": request.get_json()}

    @app.get("/_test/boom")
    @access("public")
    def _boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals that must not leak")

    @app.get("/api/v1/_test/invalid")
    @access("public")
    def _invalid():  # type: ignore[no-untyped-def]
        raise ValidationFailed(details=[{"field": "email", "message": "is not an address"}])

    @app.get("/_test/missing")
    @access("public")
    def _missing():  # type: ignore[no-untyped-def]
        raise NotFound("No such design.")

    return app


def test_unknown_page_is_a_friendly_html_404(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/no-such-page", headers=HTML)
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert "We could not find that page." in body
    assert "Back to the shop" in body
    assert "Werkzeug" not in body and "Traceback" not in body


def test_unknown_api_route_is_json_error_shape(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/nothing-here", headers=HTML)
    assert resp.status_code == 404
    assert resp.get_json() == {
        "error": {"code": "not_found", "message": "We could not find that page.", "details": None}
    }


def test_json_client_gets_json_for_an_html_route(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/nope", headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_malformed_json_body_is_a_400_with_a_clear_message(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(
        "/api/v1/_test/echo", data="{not json", content_type="application/json", headers=BEARER
    )
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_json"
    assert error["message"] == "The request body is not valid JSON."
    assert "line 1" in error["details"]


def test_wrong_content_type_is_a_415(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/api/v1/_test/echo", data="a=b", headers=BEARER)
    assert resp.status_code == 415
    assert resp.get_json()["error"]["code"] == "unsupported_media_type"


def test_method_not_allowed_keeps_allow_header(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.delete("/healthz")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]
    assert resp.get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_error_hides_internals(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/_test/boom", headers=HTML)
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "Traceback" not in body
    api = client.get("/_test/boom", headers={"Accept": "application/json"})
    assert api.status_code == 500
    assert "secret internals" not in json.dumps(api.get_json())


def test_app_errors_carry_details(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/v1/_test/invalid")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"] == [
        {"field": "email", "message": "is not an address"}
    ]
    page = client.get("/_test/missing", headers=HTML)
    assert page.status_code == 404 and "No such design." in page.get_data(as_text=True)


def test_oversized_body_is_a_413(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(
        "/api/v1/_test/echo",
        data=b"x" * (2 * 1024 * 1024),
        content_type="application/json",
        headers=BEARER,
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"
