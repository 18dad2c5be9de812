"""An official OpenAPI 3.0 document as JSON Schema: validate a response body against the
schema the spec gives for one operation and status.

OpenAPI 3.0's schema objects are JSON Schema draft 4/5 with extras (``readOnly``, ``example``,
custom ``format`` names), and a ``$ref`` replaces its siblings there, as in draft 4, so
``jsonschema``'s draft 4 validator reads them as written. ``$ref``s are resolved by
``referencing`` inside the spec itself (the whole document is one registered resource), so
nested ``allOf``/``anyOf`` and references of references are followed, not flattened by hand.

Two checks:

- :meth:`OpenApiSpec.errors`: types, patterns, lengths, ``required``, ``enum`` (PayPal lists
  each error's exact ``issue`` and ``description`` as enums), nested objects and arrays.
- :meth:`OpenApiSpec.undeclared`: keys the schema does not declare anywhere. The specs leave
  ``additionalProperties`` open, so a misspelt or invented field would pass the first check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


def _pointer(*parts: str) -> str:
    """A URI fragment for a JSON pointer (RFC 6901 escapes, then percent-encoding)."""
    return "".join("/" + quote(p.replace("~", "~0").replace("/", "~1"), safe="") for p in parts)


class OpenApiSpec:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.uri = f"urn:contract:{path.name}"

    @cached_property
    def document(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())

    @cached_property
    def registry(self) -> Registry[Any]:
        resource = Resource(contents=self.document, specification=DRAFT4)
        return Registry().with_resource(self.uri, resource)

    def _response(self, path: str, method: str, status: int) -> tuple[str, ...]:
        """The pointer to the response schema of ``method path`` for ``status``."""
        responses = self.document["paths"][path][method]["responses"]
        # A status the operation does not list, or lists without a body, gets the default.
        for key in (str(status), "default"):
            response = responses.get(key)
            base: tuple[str, ...] = ("paths", path, method, "responses", key)
            if response is not None and "$ref" in response:  # #/components/responses/…
                base = tuple(response["$ref"].removeprefix("#/").split("/"))
                response = self._at(base)
            if response is not None and "application/json" in response.get("content", {}):
                return (*base, "content", "application/json", "schema")
        raise KeyError(f"{method.upper()} {path} {status}: no JSON body in the spec")

    def _at(self, parts: tuple[str, ...]) -> Any:
        node: Any = self.document
        for part in parts:
            node = node[part]
        return node

    def schema(self, name: str) -> dict[str, str]:
        """A reference to ``#/components/schemas/<name>``."""
        return {"$ref": f"{self.uri}#{_pointer('components', 'schemas', name)}"}

    def response_schema(self, path: str, method: str, status: int) -> dict[str, str]:
        return {"$ref": f"{self.uri}#{_pointer(*self._response(path, method, status))}"}

    def validator(self, schema: dict[str, Any]) -> Draft4Validator:
        return Draft4Validator(schema, registry=self.registry, format_checker=FormatChecker())

    def errors(self, body: Any, schema: dict[str, Any]) -> list[str]:
        """Every way ``body`` breaks ``schema``, as ``/json/pointer: message`` lines."""
        found = self.validator(schema).iter_errors(body)
        return sorted(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found)

    def response_errors(self, body: Any, path: str, method: str, status: int) -> list[str]:
        return self.errors(body, self.response_schema(path, method, status))

    # --- keys the spec does not declare ----------------------------------------------------
    def undeclared(self, body: Any, schema: dict[str, Any]) -> list[str]:
        """JSON pointers of keys in ``body`` that no branch of ``schema`` declares."""
        return sorted(self._undeclared(body, self._resolve(schema), ""))

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            ref = node["$ref"]
            target = ref.split("#", 1)[1] if "#" in ref else ""
            resolved = self.registry.resolver(self.uri).lookup(f"{self.uri}#{target}")
            node = resolved.contents
        return node

    def _branches(self, node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """``node`` and every schema it is composed of (``allOf``, ``anyOf``, ``oneOf``)."""
        node = self._resolve(node)
        yield node
        for key in ("allOf", "anyOf", "oneOf"):
            for part in node.get(key, []):
                yield from self._branches(part)

    def _undeclared(self, body: Any, node: dict[str, Any], where: str) -> Iterator[str]:
        branches = list(self._branches(node))
        if isinstance(body, dict):
            declared: dict[str, list[dict[str, Any]]] = {}
            open_ended: list[dict[str, Any]] = []
            anything = False
            for branch in branches:
                for key, sub in branch.get("properties", {}).items():
                    declared.setdefault(key, []).append(sub)
                extra = branch.get("additionalProperties")
                if isinstance(extra, dict):
                    open_ended.append(extra)
                anything = anything or extra is True
            for key, value in body.items():
                subs = declared.get(key) or open_ended
                if not subs and anything:
                    continue  # additionalProperties: true, nothing to say about the value
                if not subs:
                    yield f"{where}/{key}"
                    continue
                # A key is fine when one of the schemas that declare it accepts its keys.
                misses = [set(self._undeclared(value, sub, f"{where}/{key}")) for sub in subs]
                yield from set.intersection(*misses)
        elif isinstance(body, list):
            items = [b["items"] for b in branches if isinstance(b.get("items"), dict)]
            for index, value in enumerate(body if items else []):
                path = f"{where}/{index}"
                misses = [set(self._undeclared(value, sub, path)) for sub in items]
                yield from set.intersection(*misses)
