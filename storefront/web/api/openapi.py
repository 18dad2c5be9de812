"""The OpenAPI 3.1 document, generated from the operations the decorator recorded.

pydantic writes JSON Schema 2020-12, which is OpenAPI 3.1's schema dialect, so models go in
as they are: every model of every operation is rendered in one ``models_json_schema`` call
(request bodies in validation mode, responses in serialisation mode) so shared and nested
models get one consistent name under ``#/components/schemas``.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from flask import Flask, current_app
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from storefront.container import services
from storefront.web.api import schemas
from storefront.web.api.framework import AUTH_KINDS, JSON, Api, Operation, v1
from storefront.web.state import web_state

REF = "#/components/schemas/{model}"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RULE_ARG = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}

#: Reusable error answers: (component name, description, schema).
ERROR_RESPONSES = {
    400: (
        "BadRequest",
        "Malformed JSON (invalid_json), or a logged-in session's unsafe request without its "
        "CSRF token (csrf_failed).",
        "Error",
    ),
    401: ("Unauthorized", "Not logged in, or the bearer token is unknown or revoked.", "Error"),
    403: ("Forbidden", "Logged in, but this needs a higher role or another login.", "Error"),
    404: ("NotFound", "No such resource (or not yours).", "Error"),
    409: ("Conflict", "Conflicts with the current state.", "Error"),
    415: ("UnsupportedMediaType", "The body must be sent as application/json.", "Error"),
    422: (
        "ValidationFailed",
        "The body or query did not validate; details name the fields.",
        "ValidationError",
    ),
    429: ("RateLimited", "Too many requests; wait and retry.", "Error"),
    503: ("ServiceUnavailable", "A service we depend on is not answering; retry shortly.", "Error"),
}

DESCRIPTION = """\
JSON over HTTPS. Errors always look like `{"error": {"code", "message", "details"}}`;
a 422's `details` is a list of `{field, message}` for programs, and its `message` says
what to fix in sentences a person can read.

**Authentication.** Scripts send `Authorization: Bearer <token>` (tokens come from
`storefront tokens create`, or `POST /api/v1/tokens` in a browser session). Browsers use the
shop's session cookie. Every unsafe request (POST, PUT, PATCH, DELETE) made with a
logged-in session cookie and no bearer token must send the `X-CSRFToken` header issued for
that session: both come from `GET /api/v1/csrf-token`. A cookie that holds no login is no
credential (the operation answers as it does to anyone). An unknown or revoked bearer token
is always a 401, even on public operations.

**Lists** take `page` and `page_size` (at most 100) and answer
`{"items", "total", "page", "page_size", "next"}`.
"""


def document_for(app: Flask, api: Api = v1) -> dict[str, Any]:
    """The app's document, built once (operations are fixed once the app is created)."""
    cache = web_state(app).openapi
    if api.name not in cache:
        settings = services(app).settings
        cache[api.name] = build_document(
            api, server_url=settings.base_url, cookie_name=app.config["SESSION_COOKIE_NAME"]
        )
    return cache[api.name]


def current_document() -> dict[str, Any]:
    return document_for(current_app)


def build_document(api: Api, *, server_url: str, cookie_name: str) -> dict[str, Any]:
    builder = _Builder(api.operations)
    paths: dict[str, dict[str, Any]] = {}
    for op in api.operations:
        paths.setdefault(openapi_path(op.path), {})[op.method.lower()] = builder.operation(op)
    tags: list[str] = []
    for op in api.operations:
        tags.extend(t for t in op.tags if t not in tags)
    return {
        "openapi": "3.1.0",
        "info": {"title": api.title, "version": api.version, "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(builder.components.items())),
            "responses": {
                name: {
                    "description": text,
                    "content": {JSON: {"schema": {"$ref": REF.format(model=schema)}}},
                }
                for name, text, schema in ERROR_RESPONSES.values()
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token: `Authorization: Bearer sf_…`.",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie_name,
                    "description": (
                        "The shop's login session. Unsafe methods also need the X-CSRFToken "
                        "header (GET /api/v1/csrf-token)."
                    ),
                },
            },
        },
    }


def openapi_path(rule: str) -> str:
    """``/tokens/<int:token_id>`` → ``/tokens/{token_id}``."""
    return _RULE_ARG.sub(lambda m: "{" + m.group("name") + "}", rule)


def _model_of(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None


def _list_item(tp: Any) -> type[BaseModel] | None:
    args = get_args(tp)
    if get_origin(tp) is list and len(args) == 1:
        return _model_of(args[0])
    return None


class _Builder:
    """Renders every model once, then builds operation objects pointing at them."""

    def __init__(self, operations: list[Operation]) -> None:
        wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [
            (schemas.Error, "serialization"),
            (schemas.ValidationError, "serialization"),
        ]
        for op in operations:
            if op.body is not None:
                wanted.append((op.body, "validation"))
            model = _model_of(op.response) or _list_item(op.response)
            if model is not None:
                wanted.append((model, "serialization"))
        wanted = list(dict.fromkeys(wanted))
        refs, defs = models_json_schema(wanted, ref_template=REF)
        self.refs = dict(refs)
        self.components: dict[str, Any] = dict(defs.get("$defs", {}))

    def _adapter_schema(self, tp: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        schema = TypeAdapter(tp).json_schema(mode=mode, ref_template=REF)
        self.components.update(schema.pop("$defs", {}))
        return schema

    def response_schema(self, tp: Any) -> dict[str, Any]:
        model = _model_of(tp)
        if model is not None:
            return self.refs[(model, "serialization")]
        item = _list_item(tp)
        if item is not None:
            return {"type": "array", "items": self.refs[(item, "serialization")]}
        return self._adapter_schema(tp, "serialization")

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = []
        for match in _RULE_ARG.finditer(op.path):
            params.append(
                {
                    "name": match.group("name"),
                    "in": "path",
                    "required": True,
                    "schema": dict(
                        _CONVERTER_TYPES.get(match.group("converter") or "", {"type": "string"})
                    ),
                }
            )
        if op.query is not None:
            schema = self._adapter_schema(op.query, "validation")
            required = set(schema.get("required", ()))
            for name, prop in schema.get("properties", {}).items():
                param: dict[str, Any] = {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": {k: v for k, v in prop.items() if k != "description"},
                }
                if "description" in prop:
                    param["description"] = prop["description"]
                params.append(param)
        if op.method in UNSAFE and "session" in op.auth:
            params.append(
                {
                    "name": "X-CSRFToken",
                    "in": "header",
                    "required": False,
                    "description": (
                        "Required unless a bearer token is sent (value and cookie from "
                        "GET /api/v1/csrf-token)."
                    ),
                    "schema": {"type": "string"},
                }
            )
        return params

    def error_statuses(self, op: Operation) -> list[int]:
        codes = {401, *op.errors}  # 401: a bad bearer token is refused on every operation
        if op.method in UNSAFE:
            codes.add(400)  # CSRF, and invalid JSON
        if op.body is not None:
            codes.update((400, 415, 422))
        if op.query is not None:
            codes.add(422)
        if op.is_protected and (
            op.access in ("operator", "admin") or set(op.auth) != set(AUTH_KINDS)
        ):
            codes.add(403)
        if "<" in op.path:
            codes.add(404)
        if op.limit:
            codes.add(429)
        return sorted(codes)

    def operation(self, op: Operation) -> dict[str, Any]:
        who = (
            "anyone"
            if not op.is_protected
            else f"{op.access} or higher, via {' or '.join(op.auth)}"
        )
        out: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "description": ((op.description or "") + f"\n\nAccess: {who}.").strip(),
            "tags": list(op.tags),
            "x-access": op.access,
        }
        if op.is_protected:
            schemes = {"token": "bearerAuth", "session": "cookieAuth"}
            out["security"] = [{schemes[kind]: []} for kind in op.auth]
        else:
            out["security"] = []
        params = self.parameters(op)
        if params:
            out["parameters"] = params
        if op.body is not None:
            out["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": self.refs[(op.body, "validation")]}},
            }
        responses: dict[str, Any] = {}
        if op.response is None:
            responses[str(op.status)] = {"description": "Done; no content."}
        else:
            schema = (
                self.response_schema(op.response) if op.media_type == JSON else {"type": "string"}
            )
            responses[str(op.status)] = {
                "description": "Success.",
                "content": {op.media_type: {"schema": schema}},
            }
        for code in self.error_statuses(op):
            responses[str(code)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
        out["responses"] = responses
        return out


@v1.get(
    "/openapi.json",
    response=dict[str, Any],
    access="public",
    summary="This document (OpenAPI 3.1)",
    tags=["meta"],
)
def get_openapi() -> dict[str, Any]:
    return current_document()
