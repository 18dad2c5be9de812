"""The endpoint decorator itself, on a throwaway API mounted next to /api/v1."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask, Response, current_app
from flask.testing import FlaskClient
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from storefront.accounts.models import Customer
from storefront.container import services
from storefront.web.api.framework import (
    ERROR_STATUSES,
    Api,
    Page,
    PageQuery,
    paginate,
    require_user,
)
from storefront.web.api.openapi import ERROR_RESPONSES, build_document
from tests.api.conftest import Account, bearer, csrf_token, issue_token, log_in, make_account

demo = Api("api_demo", "/api/demo", title="Demo", version="0")


class CustomerQuery(PageQuery):
    role: list[str] = Field(default_factory=list, description="Only these roles.")


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str


class Echo(BaseModel):
    count: int = Field(ge=0)
    tags: list[str] = []


@demo.get(
    "/customers",
    query=CustomerQuery,
    response=Page[CustomerOut],
    access="operator",
    summary="Customers, paged",
    tags=["demo"],
)
def list_customers(query: CustomerQuery) -> Page[CustomerOut]:
    stmt = select(Customer).order_by(Customer.id)
    if query.role:
        stmt = stmt.where(Customer.role.in_(query.role))
    with services(current_app).db.session_scope() as session:
        return paginate(session, stmt, query, CustomerOut)


@demo.post(
    "/echo/<int:n>", body=Echo, response=Echo, access="public", summary="Echo", tags=["demo"]
)
def echo(n: int, body: Echo) -> tuple[dict[str, Any], dict[str, str]]:
    return {"count": body.count + n, "tags": body.tags}, {"X-Echo": str(n)}


@demo.delete("/nothing", access="customer", auth=["session"], summary="Nothing", tags=["demo"])
def nothing() -> None:
    require_user()


@demo.get("/raw", response=str, media_type="text/plain", access="public", summary="Raw")
def raw() -> Response:
    return Response("hello", mimetype="text/plain", status=200)


@pytest.fixture
def app(app: Flask) -> Flask:
    app.register_blueprint(demo.blueprint)
    return app


def test_query_is_parsed_validated_and_paged(
    app: Flask, client: FlaskClient, operator: Account
) -> None:
    for i in range(5):
        make_account(app, f"c{i}@example.com")
    token = issue_token(app, operator, role="operator")
    response = client.get(
        "/api/demo/customers?page_size=2&role=customer&unknown=1", headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 5 and body["page"] == 1 and body["page_size"] == 2
    assert [c["email"] for c in body["items"]] == ["c0@example.com", "c1@example.com"]
    assert set(body["items"][0]) == {"id", "email"}  # only the response model's fields
    assert body["next"].startswith("/api/demo/customers?")
    follow = client.get(body["next"], headers=bearer(token)).get_json()
    assert [c["email"] for c in follow["items"]] == ["c2@example.com", "c3@example.com"]
    last = client.get("/api/demo/customers?page=3&page_size=2&role=customer", headers=bearer(token))
    assert last.get_json()["next"] is None and len(last.get_json()["items"]) == 1
    both = client.get("/api/demo/customers?role=customer&role=operator", headers=bearer(token))
    assert both.get_json()["total"] == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [("page_size=101", "page_size"), ("page=0", "page"), ("page=two", "page")],
)
def test_bad_query_is_422(
    app: Flask, client: FlaskClient, operator: Account, query: str, field: str
) -> None:
    token = issue_token(app, operator, role="operator")
    response = client.get(f"/api/demo/customers?{query}", headers=bearer(token))
    assert response.status_code == 422
    assert [d["field"] for d in response.get_json()["error"]["details"]] == [field]


def test_access_level_is_applied(app: Flask, client: FlaskClient, customer: Account) -> None:
    assert client.get("/api/demo/customers").status_code == 401
    token = issue_token(app, customer)
    response = client.get("/api/demo/customers", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_path_args_body_and_extra_headers(client: FlaskClient) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post("/api/demo/echo/3", json={"count": 4, "tags": ["a"]}, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"count": 7, "tags": ["a"]}
    assert response.headers["X-Echo"] == "3"
    assert client.post("/api/demo/echo/x", json={}, headers=headers).status_code == 404
    bad = client.post("/api/demo/echo/1", json={"count": -1, "tags": "a"}, headers=headers)
    assert {d["field"] for d in bad.get_json()["error"]["details"]} == {"count", "tags"}
    no_body = client.post("/api/demo/echo/1", headers=headers)
    assert no_body.status_code == 415


def test_session_only_operation(app: Flask, client: FlaskClient, customer: Account) -> None:
    token = issue_token(app, customer)
    assert client.delete("/api/demo/nothing", headers=bearer(token)).status_code == 403
    log_in(client, customer)
    response = client.delete("/api/demo/nothing", headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 204 and response.data == b""


def test_a_ready_response_passes_through(client: FlaskClient) -> None:
    response = client.get("/api/demo/raw")
    assert (response.status_code, response.mimetype, response.data) == (200, "text/plain", b"hello")


def test_demo_document_is_valid_and_describes_the_page_envelope() -> None:
    doc = build_document(demo, server_url="http://127.0.0.1", cookie_name="session")
    schemathesis.openapi.from_dict(doc).validate()
    op = doc["paths"]["/api/demo/customers"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["page_size"]["schema"]["maximum"] == 100
    assert params["role"]["schema"]["type"] == "array"
    assert "403" in op["responses"] and "422" in op["responses"]
    page_ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = doc["components"]["schemas"][page_ref.rsplit("/", 1)[-1]]
    assert set(page["required"]) >= {"items", "total", "page", "page_size"}
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/CustomerOut"}
    echo_op = doc["paths"]["/api/demo/echo/{n}"]["post"]
    assert echo_op["parameters"][0]["schema"] == {"type": "integer"}


@pytest.mark.parametrize(
    ("rule", "options", "message"),
    [
        ("/a", {"methods": ["GET", "POST"]}, "one operation"),
        ("/b", {"access": "nobody"}, "unknown access"),
        ("/c", {"body": Echo}, "GET operations take no body"),
        ("/d", {"auth": ["password"]}, "auth must be"),
        ("/e", {"errors": [418]}, "errors must be among"),
    ],
)
def test_misdeclared_operations_fail_at_import(
    rule: str, options: dict[str, Any], message: str
) -> None:
    api = Api("api_bad", "/api/bad", title="Bad", version="0")
    kwargs: dict[str, Any] = {"access": "public", "summary": "s", **options}
    with pytest.raises(ValueError, match=message):
        api.route(rule, **kwargs)


def test_every_declarable_error_has_a_documented_answer() -> None:
    assert set(ERROR_RESPONSES) == ERROR_STATUSES


def test_duplicate_operation_ids_are_refused() -> None:
    api = Api("api_dup", "/api/dup", title="Dup", version="0")

    def view() -> None:
        return None

    api.get("/one", access="public", summary="s")(view)
    with pytest.raises(ValueError, match="duplicate"):
        api.get("/two", access="public", summary="s")(view)
