"""The OpenAPI document: valid 3.1, complete against the URL map, and true to real answers."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from storefront.web.api.openapi import openapi_path
from storefront.web.auth import declared_access
from tests.api.conftest import PASSWORD, Account, bearer, csrf_token, issue_token, log_in

REF = re.compile(r"^#/components/(schemas|responses)/(.+)$")


@pytest.fixture
def doc(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator for one documented schema, with the components next to it for $refs."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]})


def _response_schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    answer = doc["paths"][path][method]["responses"][str(status)]
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    return answer["content"]["application/json"]["schema"]


def test_document_is_valid_openapi_31(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()  # the official OpenAPI 3.1 meta-schema; raises on any violation
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_component_schemas_are_valid_json_schema(doc: dict[str, Any]) -> None:
    for name, schema in doc["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs = _refs(doc["paths"]) + _refs(doc["components"])
    assert refs
    for ref in refs:
        match = REF.match(ref)
        assert match, ref
        assert match.group(2) in doc["components"][match.group(1)], ref


def test_every_api_route_is_documented(app: Flask, doc: dict[str, Any]) -> None:
    routed = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routed == documented
    assert ("/api/v1/users", "post") in routed and ("/api/v1/tokens/{token_id}", "delete") in routed


def test_every_api_route_declares_the_access_it_documents(app: Flask, doc: dict[str, Any]) -> None:
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        level = declared_access(app, rule.endpoint)
        assert level is not None, rule.endpoint
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert doc["paths"][openapi_path(rule.rule)][method.lower()]["x-access"] == level


def test_operations_carry_their_schemas_security_and_errors(doc: dict[str, Any]) -> None:
    register = doc["paths"]["/api/v1/users"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RegisterIn"
    }
    assert register["security"] == []
    assert set(register["responses"]) == {"201", "400", "401", "409", "415", "422", "429"}
    assert register["responses"]["422"] == {"$ref": "#/components/responses/ValidationFailed"}
    assert any(p["name"] == "X-CSRFToken" and p["in"] == "header" for p in register["parameters"])
    assert "password" in doc["components"]["schemas"]["RegisterIn"]["required"]

    me = doc["paths"]["/api/v1/users/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert me["x-access"] == "customer"
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeOut"
    }

    mint = doc["paths"]["/api/v1/tokens"]["post"]
    assert mint["security"] == [{"cookieAuth": []}]
    assert "403" in mint["responses"]

    listing = doc["paths"]["/api/v1/tokens"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/TokenOut"},
    }
    revoke = doc["paths"]["/api/v1/tokens/{token_id}"]["delete"]
    assert revoke["parameters"][0] == {
        "name": "token_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    assert "content" not in revoke["responses"]["204"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie" and schemes["cookieAuth"]["name"] == "session"


def test_real_answers_match_the_documented_schemas(
    app: Flask, client: FlaskClient, doc: dict[str, Any], customer: Account
) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    created = client.post(
        "/api/v1/users", json={"email": "new@example.com", "password": PASSWORD}, headers=headers
    )
    _validator(doc, _response_schema(doc, "/api/v1/users", "post", 201)).validate(
        created.get_json()
    )
    invalid = client.post("/api/v1/users", json={"email": "x"}, headers=headers)
    _validator(doc, _response_schema(doc, "/api/v1/users", "post", 422)).validate(
        invalid.get_json()
    )
    anonymous = client.get("/api/v1/users/me")
    _validator(doc, _response_schema(doc, "/api/v1/users/me", "get", 401)).validate(
        anonymous.get_json()
    )
    token = issue_token(app, customer)
    me = client.get("/api/v1/users/me", headers=bearer(token))
    _validator(doc, _response_schema(doc, "/api/v1/users/me", "get", 200)).validate(me.get_json())
    log_in(client, customer)
    mint = client.post("/api/v1/tokens", json={"name": "n"}, headers=headers)
    _validator(doc, _response_schema(doc, "/api/v1/tokens", "post", 201)).validate(mint.get_json())
    listing = client.get("/api/v1/tokens")
    _validator(doc, _response_schema(doc, "/api/v1/tokens", "get", 200)).validate(
        listing.get_json()
    )


def test_documented_schema_rejects_what_the_api_rejects(doc: dict[str, Any]) -> None:
    """Guards against a document that describes nothing (e.g. every schema ``{}``)."""
    me = _validator(doc, _response_schema(doc, "/api/v1/users/me", "get", 200))
    assert not me.is_valid({"id": "one"})
    error = _validator(doc, _response_schema(doc, "/api/v1/users", "post", 422))
    assert not error.is_valid({"error": {"code": "validation_failed", "message": "m"}})


def test_docs_page_renders_every_operation(client: FlaskClient, doc: dict[str, Any]) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert f"{method.upper()} {path}" in page
            assert f'id="op-{op["operationId"]}"' in page
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "<script" not in page
    assert "X-CSRFToken" in page
    # The descriptions' Markdown is rendered, not shown raw.
    assert "<code>X-CSRFToken</code>" in page or "<code>Authorization" in page
    assert "`X-CSRFToken`" not in page and "**" not in page
