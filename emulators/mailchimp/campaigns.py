"""Campaigns, tags (static segments) and reports of one audience, without any HTTP.

The rules reproduced (the ones a sender can get wrong):

* a campaign is created in ``save``; content changes only while ``save`` or ``paused``;
* sending needs a ready campaign (the send checklist): a subject, a sender, a reply-to and
  content whose HTML carries the unsubscribe merge tag ``*|UNSUB|*``;
* ``actions/schedule`` only in the future and on a quarter hour (:00, :15, :30, :45), UTC;
* a campaign that is scheduled, sending or sent cannot be sent or scheduled again;
* ``schedule`` turns into ``sent`` once the clock passes the send time, ``sending`` into
  ``sent`` on the next read; the report exists once it went out, counting the subscribed
  members it went to (the whole list, or the tag/segment's subscribed members).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulators.mailchimp.members import Audience, MemberError, subscriber_hash

UNSUB = "*|UNSUB|*"
EDITABLE = ("save", "paused")


def _invalid(detail: str) -> MemberError:
    return MemberError(400, "Invalid Resource", detail)


def _bad(detail: str) -> MemberError:
    return MemberError(400, "Bad Request", detail)


def _missing() -> MemberError:
    return MemberError(404, "Resource Not Found", "The requested resource could not be found.")


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        raise _invalid("schedule_time: required, an ISO 8601 time in UTC")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _invalid(f"schedule_time: {value!r} is not an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Campaigns:
    def __init__(self, audience: Audience, clock: Callable[[], datetime]) -> None:
        self.audience = audience
        self.clock = clock
        self.lock = threading.RLock()
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, dict[str, str]] = {}
        #: Tests sent: (campaign id, address, send type), oldest first.
        self.tests_sent: list[tuple[str, str, str]] = []
        #: Tags (static segments): id -> {"name", "members": set of subscriber hashes}.
        self.segments: dict[int, dict[str, Any]] = {}
        self._next_segment = 1001
        self._next_web_id = 5001
        #: Activity simulated by tests: id -> {"opens", "clicks", "unsubscribes"}.
        self.activity: dict[str, dict[str, int]] = {}

    def reset(self) -> None:
        with self.lock:
            self.campaigns.clear()
            self.contents.clear()
            self.tests_sent.clear()
            self.segments.clear()
            self.activity.clear()

    # --- tags ---------------------------------------------------------------------------
    def tag(self, name: str, emails: list[str]) -> dict[str, Any]:
        """Put these addresses under the tag ``name`` (created when new)."""
        with self.lock:
            segment = next(
                (s for s in self.segments.values() if s["name"].lower() == name.lower()), None
            )
            if segment is None:
                segment = {"id": self._next_segment, "name": name, "members": set()}
                self.segments[self._next_segment] = segment
                self._next_segment += 1
            segment["members"].update(subscriber_hash(e) for e in emails)
            return self.segment_view(segment["id"])

    def tag_member(self, key: str, tags: list[dict[str, Any]]) -> None:
        """``POST /members/{hash}/tags`` ``{"tags": [{"name", "status": active|inactive}]}``."""
        member = self.audience.get(key)
        email = member["email_address"]
        for entry in tags:
            name = str(entry.get("name") or "").strip()
            if not name:
                raise _invalid("tags: every tag needs a name")
            if entry.get("status", "active") == "active":
                self.tag(name, [email])
            else:
                with self.lock:
                    for segment in self.segments.values():
                        if segment["name"].lower() == name.lower():
                            segment["members"].discard(subscriber_hash(email))

    def _subscribed(self, hashes: set[str] | None) -> list[str]:
        with self.audience.lock:
            return [
                h
                for h, m in self.audience.members.items()
                if m["status"] == "subscribed" and (hashes is None or h in hashes)
            ]

    def segment_view(self, segment_id: int) -> dict[str, Any]:
        segment = self.segments.get(segment_id)
        if segment is None:
            raise _missing()
        return {
            "id": segment_id,
            "name": segment["name"],
            "member_count": len(self._subscribed(segment["members"])),
            "type": "static",
            "list_id": self.audience.list_id,
        }

    def list_view(self) -> dict[str, Any]:
        with self.audience.lock:
            statuses = [m["status"] for m in self.audience.members.values()]
        return {
            "id": self.audience.list_id,
            "name": "Local audience",
            "stats": {
                "member_count": statuses.count("subscribed"),
                "unsubscribe_count": statuses.count("unsubscribed"),
                "cleaned_count": statuses.count("cleaned"),
            },
        }

    # --- campaigns ----------------------------------------------------------------------
    def _advance(self, campaign: dict[str, Any]) -> None:
        now = self.clock()
        if campaign["status"] == "schedule" and _parse_time(campaign["send_time"]) <= now:
            self._go_out(campaign, "sent")
        elif campaign["status"] == "sending":
            campaign["status"] = "sent"

    def _go_out(self, campaign: dict[str, Any], status: str) -> None:
        opts = campaign["recipients"].get("segment_opts") or {}
        segment_id = opts.get("saved_segment_id")
        hashes = self.segments[segment_id]["members"] if segment_id in self.segments else None
        count = len(self._subscribed(hashes))
        campaign["status"] = status
        campaign["emails_sent"] = count
        campaign["recipients"]["recipient_count"] = count
        if not campaign["send_time"]:
            campaign["send_time"] = self._stamp(self.clock())

    @staticmethod
    def _stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def get(self, campaign_id: str) -> dict[str, Any]:
        with self.lock:
            campaign = self.campaigns.get(campaign_id)
            if campaign is None:
                raise _missing()
            self._advance(campaign)
            return campaign

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("type")
        if kind not in ("regular", "plaintext", "absplit", "rss", "variate"):
            raise _invalid("type: must be one of regular, plaintext, absplit, rss, variate")
        recipients = body.get("recipients") or {}
        if recipients.get("list_id") != self.audience.list_id:
            raise _invalid("recipients.list_id: no audience with this id")
        opts = recipients.get("segment_opts") or {}
        with self.lock:
            if "saved_segment_id" in opts and opts["saved_segment_id"] not in self.segments:
                raise _invalid("recipients.segment_opts.saved_segment_id: no such segment")
            settings = dict(body.get("settings") or {})
            campaign_id = uuid.uuid4().hex[:10]
            campaign = {
                "id": campaign_id,
                "web_id": self._next_web_id,
                "type": kind,
                "create_time": self._stamp(self.clock()),
                "status": "save",
                "emails_sent": 0,
                "send_time": "",
                "content_type": "html",
                "recipients": {
                    "list_id": self.audience.list_id,
                    "segment_opts": opts,
                    "recipient_count": 0,
                },
                "settings": {
                    "subject_line": settings.get("subject_line", ""),
                    "preview_text": settings.get("preview_text", ""),
                    "title": settings.get("title", ""),
                    "from_name": settings.get("from_name", ""),
                    "reply_to": settings.get("reply_to", ""),
                },
            }
            self._next_web_id += 1
            self.campaigns[campaign_id] = campaign
            return campaign

    def query(
        self, *, status: str | None, since: datetime | None, list_id: str | None
    ) -> list[dict[str, Any]]:
        with self.lock:
            rows = []
            for campaign in self.campaigns.values():
                self._advance(campaign)
                if status and campaign["status"] != status:
                    continue
                if list_id and campaign["recipients"]["list_id"] != list_id:
                    continue
                if since and _parse_time(campaign["create_time"]) <= since:
                    continue
                rows.append(campaign)
            return sorted(rows, key=lambda c: (c["create_time"], c["web_id"]))

    def set_content(self, campaign_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            campaign = self.get(campaign_id)
            if campaign["status"] not in EDITABLE:
                raise _bad(
                    f"This campaign's status is {campaign['status']}: its content can no "
                    "longer change."
                )
            html, text = body.get("html"), body.get("plain_text")
            if not isinstance(html, str) or not html.strip():
                raise _invalid("html: required")
            self.contents[campaign_id] = {"html": html, "plain_text": str(text or "")}
            return {**self.contents[campaign_id], "_links": []}

    def content(self, campaign_id: str) -> dict[str, Any]:
        with self.lock:
            self.get(campaign_id)
            return {**self.contents.get(campaign_id, {"html": "", "plain_text": ""})}

    def checklist(self, campaign_id: str) -> dict[str, Any]:
        with self.lock:
            campaign = self.get(campaign_id)
            settings = campaign["settings"]
            items: list[dict[str, Any]] = []
            for ok, heading, details in (
                (bool(settings["subject_line"]), "Subject line", "Add a subject line."),
                (bool(settings["from_name"]), "From name", "Add a from name."),
                ("@" in settings["reply_to"], "Reply-to", "Add a reply-to address."),
                (campaign_id in self.contents, "Content", "Add content."),
                (
                    UNSUB in self.contents.get(campaign_id, {}).get("html", ""),
                    "Unsubscribe link",
                    f"The footer needs the {UNSUB} merge tag.",
                ),
            ):
                if not ok:
                    items.append(
                        {"type": "error", "id": len(items), "heading": heading, "details": details}
                    )
            return {"is_ready": not items, "items": items}

    def _ready(self, campaign_id: str) -> dict[str, Any]:
        campaign = self.get(campaign_id)
        if campaign["status"] in ("sending", "sent"):
            raise _bad("This campaign has already been sent.")
        if campaign["status"] == "schedule":
            raise _bad("This campaign is already scheduled. Unschedule it first.")
        if not self.checklist(campaign_id)["is_ready"]:
            raise _bad("Your Campaign is not ready to send.")
        return campaign

    def send_test(self, campaign_id: str, body: dict[str, Any]) -> None:
        emails = body.get("test_emails")
        send_type = body.get("send_type")
        if not isinstance(emails, list) or not emails:
            raise _invalid("test_emails: one address or more")
        if send_type not in ("html", "plaintext"):
            raise _invalid("send_type: html or plaintext")
        with self.lock:
            self.get(campaign_id)
            if campaign_id not in self.contents:
                raise _bad("Your Campaign is not ready to send.")
            for email in emails:
                if not isinstance(email, str) or "@" not in email:
                    raise _invalid(f"test_emails: {email!r} is not an e-mail address")
            self.tests_sent.extend((campaign_id, e, send_type) for e in emails)

    def schedule(self, campaign_id: str, body: dict[str, Any]) -> None:
        when = _parse_time(body.get("schedule_time"))
        with self.lock:
            campaign = self._ready(campaign_id)
            if when <= self.clock():
                raise _invalid("schedule_time: must be in the future.")
            if when.minute % 15 or when.second or when.microsecond:
                raise _invalid("schedule_time: campaigns are scheduled on the quarter hour.")
            campaign["status"] = "schedule"
            campaign["send_time"] = self._stamp(when)

    def unschedule(self, campaign_id: str) -> None:
        with self.lock:
            campaign = self.get(campaign_id)
            if campaign["status"] != "schedule":
                raise _bad("This campaign is not scheduled.")
            campaign["status"] = "save"
            campaign["send_time"] = ""

    def send(self, campaign_id: str) -> None:
        with self.lock:
            self._go_out(self._ready(campaign_id), "sending")

    def simulate_activity(
        self, campaign_id: str, opens: int = 0, clicks: int = 0, unsubscribes: int = 0
    ) -> None:
        with self.lock:
            self.get(campaign_id)
            seen = self.activity.setdefault(
                campaign_id, {"opens": 0, "clicks": 0, "unsubscribes": 0}
            )
            seen["opens"] += opens
            seen["clicks"] += clicks
            seen["unsubscribes"] += unsubscribes

    def report(self, campaign_id: str) -> dict[str, Any]:
        with self.lock:
            campaign = self.get(campaign_id)
            if campaign["status"] not in ("sending", "sent"):
                raise _missing()
            seen = self.activity.get(campaign_id, {"opens": 0, "clicks": 0, "unsubscribes": 0})
            sent = campaign["emails_sent"] or 0
            return {
                "id": campaign_id,
                "campaign_title": campaign["settings"]["title"],
                "type": campaign["type"],
                "list_id": self.audience.list_id,
                "subject_line": campaign["settings"]["subject_line"],
                "emails_sent": sent,
                "abuse_reports": 0,
                "unsubscribed": seen["unsubscribes"],
                "send_time": campaign["send_time"],
                "bounces": {"hard_bounces": 0, "soft_bounces": 0, "syntax_errors": 0},
                "opens": {
                    "opens_total": seen["opens"],
                    "unique_opens": seen["opens"],
                    "open_rate": seen["opens"] / sent if sent else 0,
                },
                "clicks": {
                    "clicks_total": seen["clicks"],
                    "unique_clicks": seen["clicks"],
                    "unique_subscriber_clicks": seen["clicks"],
                    "click_rate": seen["clicks"] / sent if sent else 0,
                },
            }
