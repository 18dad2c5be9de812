"""The lake's HTTP face: Sanity's query, mutate, doc and asset endpoints plus the CDN's
image/file URLs, answering with Sanity's shapes (including its errors).

Auth follows Sanity: published, root-path documents are public; drafts (any id with a ``.``)
and every write need ``Authorization: Bearer <token>``. With no token configured, any bearer
token is accepted; with one configured, a different token is refused with 401.

Images honour the CDN's transform parameters (``w``, ``h``, ``fit``, ``rect``, ``fm``,
``auto=format``…, see :mod:`contentlake.imaging`), so responsive images download smaller files
here as they do from Sanity's CDN.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from contentlake.assets import (
    AssetError,
    AssetFiles,
    file_document,
    image_document,
)
from contentlake.imaging import (
    FORMATS,
    TransformCache,
    TransformError,
    choose_format,
    transform,
    wants_transform,
)
from contentlake.mutations import MutationFailure
from contentlake.store import LakeStore
from contentlake.webhooks import Delivery, WebhookConfig, WebhookDispatcher

PERSPECTIVE_DEFAULT_SWITCH = "2025-02-19"
_VERSION_RE = re.compile(r"^v(1|X|\d{4}-\d{2}-\d{2})$")
_TRUE = ("true", "1", "")


@dataclass
class LakeState:
    """What the routes share; reachable as ``app.extensions["lake"]``."""

    store: LakeStore
    tokens: frozenset[str]
    project_id: str
    dataset: str
    assets: AssetFiles
    webhooks: WebhookDispatcher
    asset_base_url: str | None


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def boom(status: int, error: str, message: str) -> Response:
    """Sanity's Boom-style error body."""
    return _json({"statusCode": status, "error": error, "message": message}, status)


def api_error(status: int, error_type: str, description: str, **extra: Any) -> Response:
    return _json({"error": {"type": error_type, "description": description, **extra}}, status)


def default_perspective(version: str) -> str:
    """``published`` from v2025-02-19 (and ``vX``), ``raw`` before."""
    if version == "vX":
        return "published"
    if version == "v1":
        return "raw"
    return "published" if version[1:] >= PERSPECTIVE_DEFAULT_SWITCH else "raw"


def _flag(name: str, body: dict[str, Any] | None = None) -> bool:
    flag = None if body is None else body.get(name)
    if isinstance(flag, bool):
        return flag
    value = request.args.get(name)
    return value is not None and value.lower() in _TRUE


def create_lake_app(
    store: LakeStore,
    *,
    token: str | Iterable[str] | None = None,
    project_id: str,
    dataset: str,
    webhooks: Iterable[WebhookConfig | dict[str, Any]] = (),
    webhook_sender: Callable[[Delivery], object] | None = None,
    assets: AssetFiles | None = None,
    asset_base_url: str | None = None,
) -> Flask:
    """The WSGI app of one lake dataset. ``token`` may be one token or several (read and
    write); ``None`` accepts any bearer token. ``asset_base_url`` is the CDN base written
    into asset documents' ``url`` (default: where this app is reached)."""
    app = Flask(__name__)
    dispatcher = WebhookDispatcher(
        webhooks, project_id=project_id, dataset=dataset, sender=webhook_sender
    )
    if dispatcher.webhooks:
        store.subscribe(dispatcher)
    state = LakeState(
        store=store,
        tokens=frozenset([token] if isinstance(token, str) else (token or ())),
        project_id=project_id,
        dataset=dataset,
        assets=assets or AssetFiles(None),
        webhooks=dispatcher,
        asset_base_url=asset_base_url,
    )
    app.extensions["lake"] = state
    transformed = TransformCache()

    def authenticated() -> bool | Response:
        header = request.headers.get("Authorization", "")
        if not header:
            return False
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return boom(401, "Unauthorized", "Session not found")
        offered = given.strip().encode()
        if state.tokens and not any(hmac.compare_digest(offered, t.encode()) for t in state.tokens):
            return boom(401, "Unauthorized", "Session not found")
        return True

    def check(version: str, name: str) -> Response | None:
        if not _VERSION_RE.match(version):
            return boom(404, "Not Found", f"Unsupported API version {version!r}")
        if name != state.dataset:
            return boom(404, "Not Found", f'Dataset "{name}" not found')
        return None

    @app.route("/<version>/data/query/<name>", methods=["GET", "POST"])
    def query(version: str, name: str) -> Response:
        if (failure := check(version, name)) is not None:
            return failure
        auth = authenticated()
        if isinstance(auth, Response):
            return auth
        started = time.perf_counter()
        parsed = _read_query_request()
        if isinstance(parsed, Response):
            return parsed
        groq, params = parsed
        perspective = request.args.get("perspective") or default_perspective(version)
        if perspective == "previewDrafts":
            perspective = "drafts"
        if perspective not in ("raw", "published", "drafts"):
            return api_error(
                400, "httpBadRequest", f"Unsupported perspective {perspective!r} in the lake"
            )
        from contentlake.groq import GroqParseError, GroqQueryError, parse

        try:
            tree = parse(groq)
            result = state.store.query(
                tree, params, perspective=perspective, authenticated=auth is True
            )
        except GroqParseError as exc:
            return _json({"error": exc.to_dict()}, 400)
        except GroqQueryError as exc:
            return api_error(400, "queryExecutionError", str(exc), query=groq)
        envelope: dict[str, Any] = {"ms": round((time.perf_counter() - started) * 1000)}
        if request.args.get("returnQuery", "true").lower() != "false":
            envelope["query"] = groq
        envelope["result"] = result
        envelope["syncTags"] = [f"s1:{state.store.generation:x}"]
        return _json(envelope)

    @app.post("/<version>/data/mutate/<name>")
    def mutate(version: str, name: str) -> Response:
        if (failure := check(version, name)) is not None:
            return failure
        auth = authenticated()
        if isinstance(auth, Response):
            return auth
        if not auth:
            return boom(401, "Unauthorized", "Mutations require an authenticated request")
        body = _read_json_body()
        if isinstance(body, Response):
            return body
        mutations = body.get("mutations") if isinstance(body, dict) else None
        try:
            outcome = state.store.mutate(
                mutations,
                transaction_id=request.args.get("transactionId") or body.get("transactionId"),
                dry_run=_flag("dryRun", body),
                auto_generate_array_keys=_flag("autoGenerateArrayKeys", body),
            )
        except MutationFailure as exc:
            return _json(exc.to_dict(), exc.status)
        results = []
        for result in outcome.results:
            item = dict(result)
            if _flag("returnDocuments"):
                item["document"] = outcome.documents.get(result["id"])
            results.append(item)
        return _json({"transactionId": outcome.transaction_id, "results": results})

    @app.get("/<version>/data/doc/<name>/<path:ids>")
    def get_documents(version: str, name: str, ids: str) -> Response:
        if (failure := check(version, name)) is not None:
            return failure
        auth = authenticated()
        if isinstance(auth, Response):
            return auth
        documents, omitted = [], []
        for doc_id in [i for i in ids.split(",") if i]:
            if "." in doc_id and auth is not True:
                omitted.append({"id": doc_id, "reason": "permission"})
                continue
            doc = state.store.get(doc_id)
            if doc is None:
                omitted.append({"id": doc_id, "reason": "existence"})
            else:
                documents.append(doc)
        return _json({"documents": documents, "omitted": omitted})

    @app.post("/<version>/assets/<kind>/<name>")
    def upload(version: str, kind: str, name: str) -> Response:
        if (failure := check(version, name)) is not None:
            return failure
        if kind not in ("images", "files"):
            return boom(404, "Not Found", f"Unknown asset type {kind!r}")
        auth = authenticated()
        if isinstance(auth, Response):
            return auth
        if not auth:
            return boom(401, "Unauthorized", "Uploads require an authenticated request")
        data = request.get_data()
        if not data:
            return api_error(400, "httpBadRequest", "Empty upload")
        build = image_document if kind == "images" else file_document
        base = state.asset_base_url or request.url_root.rstrip("/")
        try:
            doc, rel = build(
                data,
                request.args.get("filename"),
                project_id=state.project_id,
                dataset=state.dataset,
                cdn_base=base,
            )
        except AssetError as exc:
            return api_error(400, "assetUploadError", str(exc))
        state.assets.save(rel, data)
        state.store.mutate([{"createIfNotExists": doc}])
        return _json({"document": state.store.get(doc["_id"])})

    @app.get("/<kind>/<project>/<name>/<filename>")
    @app.get("/<kind>/<project>/<name>/<filename>/<vanity>")
    def serve_asset(
        kind: str, project: str, name: str, filename: str, vanity: str | None = None
    ) -> Response:
        if kind not in ("images", "files") or project != state.project_id or name != state.dataset:
            return boom(404, "Not Found", "Not Found")
        data = state.assets.load(f"{kind}/{filename}")
        if data is None:
            return boom(404, "Not Found", "Asset not found")
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        vary = False
        if kind == "images" and wants_transform(request.args):
            ext = filename.rsplit(".", 1)[-1]
            try:
                fmt = choose_format(request.args, request.headers.get("Accept", ""), ext)
                key = (filename, request.query_string.decode(), fmt)
                out = transformed.get(key)
                if out is None:
                    out = transform(data, request.args, fmt)
                    transformed.put(key, out)
            except TransformError as exc:
                return api_error(400, "imageTransformError", str(exc))
            data, mimetype = out, FORMATS[fmt][1]
            vary = "auto" in request.args and "fm" not in request.args
        response = Response(data, mimetype=mimetype)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if vary:
            response.headers["Vary"] = "Accept"
        if request.args.get("dl") is not None:
            response.headers["Content-Disposition"] = (
                f'attachment; filename="{request.args.get("dl") or vanity or filename}"'
            )
        return response

    @app.after_request
    def cors(response: Response) -> Response:
        # Browser-side Sanity clients may call the lake in development. Auth is a bearer
        # header, never a cookie, so a wildcard origin exposes nothing a token doesn't.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        return response

    @app.errorhandler(500)
    def crashed(_exc: Exception) -> Response:
        return boom(500, "Internal Server Error", "An internal server error occurred")

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> Response:
        return boom(404, "Not Found", "Not Found")

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> Response:
        return boom(405, "Method Not Allowed", "Method Not Allowed")

    return app


def _read_json_body() -> dict[str, Any] | Response:
    raw = request.get_data(as_text=True)
    try:
        body = json.loads(raw or "{}")
    except ValueError as exc:
        return api_error(
            400,
            "httpInvalidRequestBody",
            f"Invalid JSON in request body: {exc}",
            body=raw[:1000],
            bodyTruncated=len(raw) > 1000,
        )
    if not isinstance(body, dict):
        return api_error(400, "httpInvalidRequestBody", "Request body must be a JSON object")
    return body


def _read_query_request() -> tuple[str, dict[str, Any]] | Response:
    """``(query, params)`` from the query string (GET) or the JSON body (POST)."""
    if request.method == "POST":
        body = _read_json_body()
        if isinstance(body, Response):
            return body
        groq, params = body.get("query"), body.get("params") or {}
        if not isinstance(params, dict):
            return api_error(400, "httpBadRequest", "params must be an object")
    else:
        groq, params = request.args.get("query"), {}
        for key, value in request.args.items(multi=True):
            if not key.startswith("$"):
                continue
            try:
                params[key[1:]] = json.loads(value)
            except ValueError:
                return api_error(
                    400,
                    "httpBadRequest",
                    f'Unable to parse value of "{key}={value}". Please quote string values.',
                )
    if not isinstance(groq, str) or not groq.strip():
        return api_error(400, "httpBadRequest", "The query parameter is required")
    return groq, params
