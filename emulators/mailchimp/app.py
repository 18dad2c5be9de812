"""The Mailchimp emulator: Marketing API v3 list-member endpoints, as a stateful WSGI app.

Serves ``/3.0/...`` (``storefront dev`` mounts it under ``/_emulators/mailchimp``), checks
HTTP Basic auth (any user, the API key as password), answers errors as Mailchimp's problem
documents, limits concurrent requests to 10 (429 beyond), and posts audience webhooks
(form-encoded, unsigned) to the configured URL. Faults, webhook misbehaviour and the control
API come from :mod:`emulators.common`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request

from emulators.common import (
    FaultInjector,
    WebhookQueue,
    WebhookSender,
    control_blueprint,
    httpx_sender,
)
from emulators.mailchimp.campaigns import Campaigns
from emulators.mailchimp.members import Audience, MemberError

MAX_BATCH = 500
MAX_COUNT = 1000


def problem(status: int, title: str, detail: str) -> Response:
    """Mailchimp's error shape (RFC 7807); usable outside a request context."""
    body = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


class MailchimpEmulator:
    """One account with one audience. ``calls`` counts requests per endpoint name."""

    def __init__(
        self,
        *,
        api_key: str = "local-key-us1",
        list_id: str = "local-list",
        webhook_url: str | None = None,
        webhook_sender: WebhookSender | None = None,
        max_connections: int = 10,
        latency: float = 0.0,
        clock: Callable[[], datetime] | None = None,
        hold: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.api_key = api_key
        self.audience = Audience(list_id, clock=clock or (lambda: datetime.now(UTC)))
        self.campaigns = Campaigns(self.audience, self.audience.clock)
        self.webhook_url = webhook_url
        self.max_connections = max_connections
        self.latency = latency
        #: ``hold(environ)`` is called while a request counts as a connection (before it is
        #: answered): a test blocks here on an event or barrier to hold connections open for
        #: exactly as long as it needs, instead of hoping that ``latency`` overlaps them.
        self.hold = hold
        self.calls: Counter[str] = Counter()
        self.too_many_connections = 0
        self.peak_connections = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self.faults = FaultInjector()
        self.webhooks = WebhookQueue(sender=webhook_sender or httpx_sender(timeout=10.0))
        self.app = self._build_app()

    # --- controls ----------------------------------------------------------------------

    def unsubscribe_member(self, email: str, *, reason: str = "", action: str = "unsub") -> None:
        """The person unsubscribes in Mailchimp (link in a campaign); a webhook follows."""
        member = self.audience.provider_side_status(email, "unsubscribed", reason)
        extra = {"data[action]": action, "data[reason]": reason, "data[campaign_id]": ""}
        self.send_webhook("unsubscribe", member, extra)

    def clean_member(self, email: str, *, reason: str = "hard") -> None:
        """The address bounced: Mailchimp cleans it; a ``cleaned`` webhook follows."""
        member = self.audience.provider_side_status(email, "cleaned")
        self.send_webhook("cleaned", member, {"data[reason]": reason})

    def confirm_member(self, email: str) -> None:
        """The person clicks the link in Mailchimp's opt-in e-mail (``pending`` member)."""
        self.audience.confirm(email)

    def throttle(self, email: str) -> None:
        """Make the compliance throttle refuse this address from now on."""
        self.audience.throttled.add(email.strip().lower())

    def send_webhook(self, kind: str, member: dict[str, Any], extra: Mapping[str, str]) -> None:
        fired_at = self.audience.clock().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        fields = {
            "type": kind,
            "fired_at": fired_at,
            "data[id]": member["unique_email_id"],
            "data[list_id]": self.audience.list_id,
            "data[email]": member["email_address"],
            "data[email_type]": member["email_type"],
            "data[merges][EMAIL]": member["email_address"],
            **{f"data[merges][{k}]": str(v) for k, v in member["merge_fields"].items()},
            "data[ip_opt]": member["ip_opt"],
            **extra,
        }
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "MailChimp"}
        self.webhooks.enqueue(
            f"mc_{uuid.uuid4().hex[:12]}", self.webhook_url, body, lambda _: headers
        )

    def reset(self) -> None:
        with self.audience.lock:
            self.audience.members.clear()
            self.audience.forgotten.clear()
            self.audience.throttled.clear()
            self.audience.confirmations_sent.clear()
            self.audience.opted_out.clear()
        self.campaigns.reset()
        self.calls.clear()

    # --- WSGI: the connection limit wraps the Flask app ----------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator"):
            return self.app(environ, start_response)
        with self._lock:
            self._in_flight += 1
            self.peak_connections = max(self.peak_connections, self._in_flight)
            over = self._in_flight > self.max_connections
            if over:
                self.too_many_connections += 1
        try:
            if over:
                response = problem(
                    429,
                    "Too Many Requests",
                    f"You have exceeded the limit of {self.max_connections} simultaneous "
                    "connections.",
                )
                return response(environ, start_response)
            if self.hold is not None:
                self.hold(environ)
            if self.latency:
                time.sleep(self.latency)
            return list(self.app(environ, start_response))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _build_app(self) -> Flask:
        app = Flask(__name__)
        audience = self.audience

        @app.before_request
        def _count() -> None:
            # Registered before the fault hooks, so injected failures are counted too.
            if not request.path.startswith("/_emulator"):
                with self._lock:
                    self.calls[request.endpoint or "unknown"] += 1

        self.faults.install(app, lambda status, message: problem(status, "Error", message))
        app.register_blueprint(
            control_blueprint(
                self.faults,
                self.webhooks,
                commands={
                    "unsubscribe": lambda a: self.unsubscribe_member(**a),
                    "clean": lambda a: self.clean_member(**a),
                    "throttle": lambda a: self.throttle(**a),
                    "confirm": lambda a: self.confirm_member(**a),
                    "tag": lambda a: self.campaigns.tag(**a),
                    "campaign_activity": lambda a: self.campaigns.simulate_activity(**a),
                },
                reset=self.reset,
            )
        )

        @app.before_request
        def _authenticate() -> Response | None:
            if request.path.startswith("/_emulator"):
                return None
            auth = request.authorization
            if auth is None or auth.password != self.api_key:
                return problem(
                    401,
                    "API Key Invalid",
                    "Your API key may be invalid, or you've attempted to access the wrong "
                    "datacenter.",
                )
            list_id = (request.view_args or {}).get("list_id")
            if list_id is not None and list_id != audience.list_id:
                return problem(
                    404, "Resource Not Found", "The requested resource could not be found."
                )
            return None

        @app.errorhandler(MemberError)
        def _member_error(exc: MemberError) -> Response:
            return problem(exc.status, exc.title, exc.detail)

        @app.errorhandler(404)
        def _not_found(exc: Exception) -> Response:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")

        @app.get("/3.0/ping")
        def ping() -> Response:
            return jsonify({"health_status": "Everything's Chimpy!"})

        @app.post("/3.0/lists/<list_id>")
        def batch(list_id: str) -> Response:
            body = request.get_json(silent=True) or {}
            rows = body.get("members")
            if not isinstance(rows, list) or not rows:
                return problem(400, "Invalid Resource", "members: required")
            if len(rows) > MAX_BATCH:
                return problem(
                    400, "Invalid Resource", f"members: at most {MAX_BATCH} members per call"
                )
            return jsonify(audience.batch(rows, bool(body.get("update_existing"))))

        @app.get("/3.0/lists/<list_id>/members")
        def list_members(list_id: str) -> Response:
            args = request.args
            try:
                count = int(args.get("count", 10))
                offset = int(args.get("offset", 0))
                since = _parse(args.get("since_last_changed"))
                before = _parse(args.get("before_last_changed"))
                unsubscribed_since = _parse(args.get("unsubscribed_since"))
            except ValueError:
                return problem(400, "Invalid Resource", "count, offset or a date is invalid")
            if not 0 < count <= MAX_COUNT or offset < 0:
                return problem(400, "Invalid Resource", f"count must be 1..{MAX_COUNT}")
            members = audience.query(
                status=args.get("status"), since_last_changed=since, before_last_changed=before
            )
            if unsubscribed_since:
                # Mailchimp accepts it only with status=unsubscribed; we filter on last_changed.
                members = [
                    m
                    for m in members
                    if m["status"] == "unsubscribed"
                    and (changed := _parse(m["last_changed"])) is not None
                    and changed > unsubscribed_since
                ]
            return jsonify(
                {
                    "members": members[offset : offset + count],
                    "list_id": audience.list_id,
                    "total_items": len(members),
                }
            )

        @app.post("/3.0/lists/<list_id>/members")
        def create_member(list_id: str) -> Response:
            return jsonify(audience.create(request.get_json(silent=True) or {}))

        @app.get("/3.0/lists/<list_id>/members/<key>")
        def get_member(list_id: str, key: str) -> Response:
            return jsonify(audience.get(key))

        @app.put("/3.0/lists/<list_id>/members/<key>")
        def put_member(list_id: str, key: str) -> Response:
            return jsonify(audience.upsert(key, request.get_json(silent=True) or {}))

        @app.patch("/3.0/lists/<list_id>/members/<key>")
        def patch_member(list_id: str, key: str) -> Response:
            return jsonify(audience.patch(key, request.get_json(silent=True) or {}))

        @app.delete("/3.0/lists/<list_id>/members/<key>")
        def archive_member(list_id: str, key: str) -> tuple[str, int]:
            audience.archive(key)
            return "", 204

        @app.post("/3.0/lists/<list_id>/members/<key>/actions/delete-permanent")
        def delete_permanent(list_id: str, key: str) -> tuple[str, int]:
            audience.delete_permanently(key)
            return "", 204

        self._campaign_routes(app)
        return app

    def _campaign_routes(self, app: Flask) -> None:
        """Campaigns, tags (static segments), the list's counts and reports."""
        campaigns = self.campaigns

        def body() -> dict[str, Any]:
            data = request.get_json(silent=True)
            return data if isinstance(data, dict) else {}

        @app.get("/3.0/lists/<list_id>")
        def get_list(list_id: str) -> Response:
            return jsonify(campaigns.list_view())

        @app.get("/3.0/lists/<list_id>/segments")
        def list_segments(list_id: str) -> Response:
            kind = request.args.get("type")
            try:
                count = int(request.args.get("count", 10))
                offset = int(request.args.get("offset", 0))
            except ValueError:
                return problem(400, "Invalid Resource", "count and offset are numbers")
            if not 0 < count <= MAX_COUNT or offset < 0:
                return problem(400, "Invalid Resource", f"count must be 1..{MAX_COUNT}")
            with campaigns.lock:
                rows = [campaigns.segment_view(i) for i in sorted(campaigns.segments)]
            rows = [r for r in rows if kind in (None, r["type"])]
            return jsonify(
                {
                    "segments": rows[offset : offset + count],
                    "list_id": self.audience.list_id,
                    "total_items": len(rows),
                }
            )

        @app.get("/3.0/lists/<list_id>/segments/<int:segment_id>")
        def get_segment(list_id: str, segment_id: int) -> Response:
            return jsonify(campaigns.segment_view(segment_id))

        @app.post("/3.0/lists/<list_id>/members/<key>/tags")
        def tag_member(list_id: str, key: str) -> tuple[str, int]:
            tags = body().get("tags")
            if not isinstance(tags, list):
                return "", 400
            campaigns.tag_member(key, [t for t in tags if isinstance(t, dict)])
            return "", 204

        @app.post("/3.0/campaigns")
        def create_campaign() -> Response:
            return jsonify(campaigns.create(body()))

        @app.get("/3.0/campaigns")
        def list_campaigns() -> Response:
            args = request.args
            try:
                count = int(args.get("count", 10))
                offset = int(args.get("offset", 0))
                since = _parse(args.get("since_create_time"))
            except ValueError:
                return problem(400, "Invalid Resource", "count, offset or a date is invalid")
            if not 0 < count <= MAX_COUNT or offset < 0:
                return problem(400, "Invalid Resource", f"count must be 1..{MAX_COUNT}")
            rows = campaigns.query(
                status=args.get("status"), since=since, list_id=args.get("list_id")
            )
            if args.get("sort_dir", "").upper() == "DESC":
                rows.reverse()
            return jsonify({"campaigns": rows[offset : offset + count], "total_items": len(rows)})

        @app.get("/3.0/campaigns/<campaign_id>")
        def get_campaign(campaign_id: str) -> Response:
            return jsonify(campaigns.get(campaign_id))

        @app.get("/3.0/campaigns/<campaign_id>/content")
        def get_content(campaign_id: str) -> Response:
            return jsonify(campaigns.content(campaign_id))

        @app.put("/3.0/campaigns/<campaign_id>/content")
        def put_content(campaign_id: str) -> Response:
            return jsonify(campaigns.set_content(campaign_id, body()))

        @app.get("/3.0/campaigns/<campaign_id>/send-checklist")
        def checklist(campaign_id: str) -> Response:
            return jsonify(campaigns.checklist(campaign_id))

        @app.post("/3.0/campaigns/<campaign_id>/actions/<action>")
        def campaign_action(campaign_id: str, action: str) -> tuple[str, int]:
            if action == "test":
                campaigns.send_test(campaign_id, body())
            elif action == "schedule":
                campaigns.schedule(campaign_id, body())
            elif action == "unschedule":
                campaigns.unschedule(campaign_id)
            elif action == "send":
                campaigns.send(campaign_id)
            else:
                raise MemberError(
                    404, "Resource Not Found", "The requested resource could not be found."
                )
            return "", 204

        @app.get("/3.0/reports/<campaign_id>")
        def report(campaign_id: str) -> Response:
            return jsonify(campaigns.report(campaign_id))


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
