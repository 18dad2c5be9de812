"""``/api/v1/docs``: the OpenAPI document rendered as plain HTML on the server.

No Swagger UI: our CSP forbids inline script and we load nothing from CDNs, and a static
page read from the very same document cannot drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import render_template

from storefront.web.api.framework import v1
from storefront.web.api.openapi import current_document

REF_PREFIX = "#/components/schemas/"


def type_label(schema: dict[str, Any]) -> str:
    """A short human label for a JSON Schema: ``UserOut``, ``array of TokenOut``, ``string``."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(REF_PREFIX)
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(type_label(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + type_label(schema.get("items", {}))
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def constraints(schema: dict[str, Any]) -> str:
    names = ("minimum", "maximum", "minLength", "maxLength", "default")
    return ", ".join(f"{n} {schema[n]!r}" for n in names if n in schema)


@dataclass
class Field:
    name: str
    type: str
    required: bool
    notes: str
    description: str = ""


@dataclass
class OperationDoc:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    access: str
    parameters: list[Field] = field(default_factory=list)
    body: str | None = None
    responses: list[tuple[str, str, str]] = field(default_factory=list)


def _operations(doc: dict[str, Any]) -> dict[str, list[OperationDoc]]:
    by_tag: dict[str, list[OperationDoc]] = {t["name"]: [] for t in doc.get("tags", [])}
    shared = doc["components"]["responses"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            entry = OperationDoc(
                method=method.upper(),
                path=path,
                operation_id=op["operationId"],
                summary=op.get("summary", ""),
                description=op.get("description", ""),
                access=op.get("x-access", ""),
            )
            for p in op.get("parameters", []):
                entry.parameters.append(
                    Field(
                        name=f"{p['name']} ({p['in']})",
                        type=type_label(p["schema"]),
                        required=p.get("required", False),
                        notes=constraints(p["schema"]),
                        description=p.get("description", ""),
                    )
                )
            if "requestBody" in op:
                entry.body = type_label(op["requestBody"]["content"]["application/json"]["schema"])
            for status, resp in op["responses"].items():
                if "$ref" in resp:
                    resp = shared[resp["$ref"].rsplit("/", 1)[-1]]
                content = resp.get("content", {})
                label = ", ".join(
                    f"{media}: {type_label(c['schema'])}" for media, c in content.items()
                )
                entry.responses.append((status, resp["description"], label))
            for tag in op.get("tags") or ["other"]:
                by_tag.setdefault(tag, []).append(entry)
    return by_tag


def _schemas(doc: dict[str, Any]) -> dict[str, list[Field]]:
    out: dict[str, list[Field]] = {}
    for name, schema in doc["components"]["schemas"].items():
        required = set(schema.get("required", ()))
        out[name] = [
            Field(
                name=prop_name,
                type=type_label(prop),
                required=prop_name in required,
                notes=constraints(prop),
                description=prop.get("description", ""),
            )
            for prop_name, prop in schema.get("properties", {}).items()
        ]
    return out


@v1.get(
    "/docs",
    response=str,
    media_type="text/html",
    access="public",
    summary="This API's reference as an HTML page",
    tags=["meta"],
)
def get_docs() -> str:
    doc = current_document()
    return render_template(
        "api/docs.html",
        doc=doc,
        operations=_operations(doc),
        schemas=_schemas(doc),
    )
