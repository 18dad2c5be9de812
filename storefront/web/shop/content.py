"""Publish-to-live and draft preview.

``POST /webhooks/sanity`` checks Sanity's signature over the raw body (with our own
timestamp window — the official toolkit has none), drops duplicate deliveries by
``idempotency-key``, records the change in the invalidation log (every web process applies
it) and drops the entry from this process's cache at once.

Preview: an editor opens a signed link (``storefront preview-url ID`` or the Studio's
"Open preview" action) and gets a preview cookie; pages then read the ``drafts`` perspective
with the read token and bypass the cache, under a visible banner with an exit link.
"""

from __future__ import annotations

import json
import time

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.content.invalidation import record
from storefront.errors import BadRequest, NotFound
from storefront.inbox.services import record_delivery
from storefront.sanity import signatures
from storefront.signing import InvalidToken, make_token, read_token
from storefront.urls import absolute_url
from storefront.web.auth import access

bp = Blueprint("content", __name__)
PREVIEW_COOKIE = "sf_preview"


@bp.post("/webhooks/sanity")
@access("webhook")
def sanity_webhook() -> ResponseReturnValue:
    raw = request.get_data(cache=False)
    secret = services().settings.sanity_webhook_secret.get_secret_value()
    try:
        signatures.verify(
            raw,
            request.headers.get("sanity-webhook-signature"),
            secret,
            now_ms=int(time.time() * 1000),
            tolerance_s=300,
        )
    except signatures.SignatureError as exc:
        raise BadRequest(
            "The webhook signature is missing, wrong or too old.", code="bad_signature"
        ) from exc
    try:
        payload = json.loads(raw) if raw else {}
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The webhook body is not JSON.", code="bad_event") from exc
    if not isinstance(payload, dict):
        payload = {}
    doc_id = str(payload.get("_id") or request.headers.get("sanity-document-id") or "")
    if not doc_id:
        raise BadRequest("Expected the changed document's _id in the body.", code="bad_event")
    doc_type = payload.get("_type")
    delivery = request.headers.get("idempotency-key") or (
        f"{request.headers.get('sanity-transaction-id')}:{doc_id}"
    )
    with services().db.session_scope(write=True) as session:
        if not record_delivery(
            session, "sanity", delivery[:255], "publish", {"_id": doc_id, "_type": doc_type}
        ):
            return jsonify(received=True, outcome="duplicate")
        record(session, [(doc_id, doc_type)], source="webhook")
    dropped = services().content.invalidate(doc_id, doc_type)
    return jsonify(received=True, outcome="invalidated", entries=dropped)


def preview_url(app: Flask, document_id: str) -> str:
    """A signed link that turns preview on (valid one hour) and opens the document's page."""
    with app.app_context():
        return absolute_url(
            "content.preview_start", token=make_token("preview", {"doc": document_id})
        )


@bp.get("/preview/request")
@access("operator")
def preview_request() -> ResponseReturnValue:
    """Studio's "Open preview": a signed-in editor (operator) gets a fresh signed link."""
    doc_id = request.args.get("doc", "")
    if not doc_id:
        raise BadRequest("Say which document to preview: ?doc=<document id>.")
    return redirect(preview_url(current_app, doc_id), 303)


@bp.get("/preview/start/<token>")
@access("public")
def preview_start(token: str) -> ResponseReturnValue:
    try:
        data = read_token("preview", token)
    except InvalidToken as exc:
        raise NotFound(f"This preview link is {exc.reason}. Ask for a new one.") from exc
    target = resolve_document_path(str(data.get("doc", "")))
    response = redirect(target, 303)
    response.set_cookie(
        PREVIEW_COOKIE,
        make_token("preview", {"on": True}),
        max_age=3600,
        httponly=True,
        samesite="Lax",
        secure=request.scheme == "https",
    )
    return response


@bp.get("/preview/exit")
@access("public")
def preview_exit() -> ResponseReturnValue:
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never an open redirect
    response = redirect(target, 303)
    response.delete_cookie(PREVIEW_COOKIE)
    return response


def in_preview() -> bool:
    if "in_preview" not in g:
        raw = request.cookies.get(PREVIEW_COOKIE)
        try:
            g.in_preview = bool(raw and read_token("preview", raw).get("on"))
        except InvalidToken:
            g.in_preview = False
    on: bool = g.in_preview
    return on


def resolve_document_path(doc_id: str) -> str:
    """Where a document shows on the site (the catalog knows)."""
    path = services().catalog.document_path(doc_id.removeprefix("drafts."))
    return path or url_for("catalog.home")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _preview() -> dict[str, object]:
        return {"in_preview": in_preview}
