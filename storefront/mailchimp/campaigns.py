"""Mailchimp Marketing API v3 campaigns: create, content, test, schedule, send, report.

Wire facts (https://mailchimp.com/developer/marketing/api/campaigns/, /reports/):
``POST /campaigns`` takes ``type``, ``recipients: {list_id, segment_opts}`` and
``settings: {subject_line, preview_text, title, from_name, reply_to}``; ``PUT
/campaigns/{id}/content`` takes ``html`` and ``plain_text``; ``POST .../actions/test``
(``test_emails``, ``send_type``), ``.../actions/schedule`` (``schedule_time`` in UTC, on a
quarter hour, in the future), ``.../actions/send``; ``GET /reports/{id}``. Statuses:
``save``, ``paused``, ``schedule``, ``sending``, ``sent``. Tags are static segments
(``GET /lists/{id}/segments?type=static``), targeted with ``segment_opts.saved_segment_id``.

Creating, scheduling and sending are not safe to repeat, so they are sent once, never
retried: after any doubt the caller looks for the campaign by its title
(:meth:`find_by_title`, the title carries a marker of the document revision) or reads its
status (:meth:`get`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storefront.http_retry import NO_RETRY
from storefront.mailchimp.client import MailchimpProvider
from storefront.mailchimp.provider import NewsletterPermanentError

#: Mailchimp's campaign statuses after which nothing is sent again.
GONE_OUT = frozenset({"sending", "sent"})
MAX_PAGE = 1000


@dataclass(frozen=True)
class Audience:
    """Who gets a campaign: everyone on the list, a tag (by name) or a saved segment."""

    kind: str = "everyone"
    tag: str | None = None
    segment_id: int | None = None

    def describe(self) -> str:
        if self.kind == "tag":
            return f"the tag {self.tag!r}"
        if self.kind == "segment":
            return f"segment {self.segment_id}"
        return "everyone on the list"


@dataclass(frozen=True)
class RemoteCampaign:
    id: str
    status: str
    title: str
    recipient_count: int | None = None
    send_time: datetime | None = None
    emails_sent: int | None = None


@dataclass(frozen=True)
class Report:
    recipients: int
    opens: int
    clicks: int
    unsubscribes: int

    def as_dict(self) -> dict[str, int]:
        return {
            "recipients": self.recipients,
            "opens": self.opens,
            "clicks": self.clicks,
            "unsubscribes": self.unsubscribes,
        }


class UnknownTag(NewsletterPermanentError):
    """The audience names a tag the list does not have."""


class MailchimpCampaigns:
    """Campaigns of the provider's audience, through the provider's HTTP client (its retries,
    connection limit and circuit breaker)."""

    def __init__(self, provider: MailchimpProvider) -> None:
        self._provider = provider

    @property
    def list_id(self) -> str:
        return self._provider.list_id

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return self._provider.request(method, path, **kwargs)

    # --- audience ------------------------------------------------------------------------
    def segment_opts(self, audience: Audience) -> dict[str, Any] | None:
        if audience.kind == "segment" and audience.segment_id:
            return {"saved_segment_id": int(audience.segment_id)}
        if audience.kind == "tag":
            return {"saved_segment_id": self.tag_id(audience.tag or "")}
        return None

    def tag_id(self, name: str) -> int:
        wanted = name.strip().lower()
        for segment in self._segments():
            if str(segment.get("name") or "").strip().lower() == wanted:
                return int(segment["id"])
        raise UnknownTag(f"The Mailchimp list has no tag named {name!r}.", status_code=404)

    def _segments(self) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._request(
                "GET",
                f"/lists/{self.list_id}/segments",
                params={"type": "static", "count": MAX_PAGE, "offset": offset},
            )
            rows = page.get("segments") or []
            yield from rows
            offset += len(rows)
            if not rows or offset >= int(page.get("total_items") or 0):
                return

    def audience_size(self, audience: Audience) -> int:
        """Subscribed members the campaign would go to."""
        opts = self.segment_opts(audience)
        if opts is None:
            data = self._request("GET", f"/lists/{self.list_id}")
            return int((data.get("stats") or {}).get("member_count") or 0)
        segment = self._request("GET", f"/lists/{self.list_id}/segments/{opts['saved_segment_id']}")
        return int(segment.get("member_count") or 0)

    # --- campaigns -----------------------------------------------------------------------
    def create(
        self,
        *,
        title: str,
        subject: str,
        preview_text: str,
        from_name: str,
        reply_to: str,
        audience: Audience,
    ) -> RemoteCampaign:
        """``POST /campaigns``, sent once (never retried: see the module docstring)."""
        recipients: dict[str, Any] = {"list_id": self.list_id}
        opts = self.segment_opts(audience)
        if opts is not None:
            recipients["segment_opts"] = opts
        body = {
            "type": "regular",
            "recipients": recipients,
            "settings": {
                "subject_line": subject,
                "preview_text": preview_text,
                "title": title,
                "from_name": from_name,
                "reply_to": reply_to,
            },
        }
        return _campaign(self._request("POST", "/campaigns", json=body, retry=NO_RETRY))

    def find_by_title(self, title: str, *, since: datetime | None = None) -> RemoteCampaign | None:
        """The campaign of this list whose title is exactly ``title`` (oldest first)."""
        offset = 0
        params: dict[str, Any] = {"list_id": self.list_id, "count": MAX_PAGE}
        params["sort_field"], params["sort_dir"] = "create_time", "ASC"
        if since is not None:
            params["since_create_time"] = since.astimezone(UTC).isoformat(timespec="seconds")
        while True:
            page = self._request("GET", "/campaigns", params={**params, "offset": offset})
            rows = page.get("campaigns") or []
            for row in rows:
                if (row.get("settings") or {}).get("title") == title:
                    return _campaign(row)
            offset += len(rows)
            if not rows or offset >= int(page.get("total_items") or 0):
                return None

    def get(self, campaign_id: str) -> RemoteCampaign:
        return _campaign(self._request("GET", f"/campaigns/{campaign_id}"))

    def set_content(self, campaign_id: str, *, html: str, plain_text: str) -> None:
        self._request(
            "PUT",
            f"/campaigns/{campaign_id}/content",
            json={"html": html, "plain_text": plain_text},
        )

    def send_test(self, campaign_id: str, emails: Sequence[str], send_type: str = "html") -> None:
        self._request(
            "POST",
            f"/campaigns/{campaign_id}/actions/test",
            json={"test_emails": list(emails), "send_type": send_type},
        )

    def schedule(self, campaign_id: str, when: datetime) -> None:
        """Sent once: a retry after a lost answer would be refused ("already scheduled");
        the caller reads the campaign's status instead."""
        stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        self._request(
            "POST",
            f"/campaigns/{campaign_id}/actions/schedule",
            json={"schedule_time": stamp},
            retry=NO_RETRY,
        )

    def send(self, campaign_id: str) -> None:
        """Sent once, like :meth:`schedule`."""
        self._request("POST", f"/campaigns/{campaign_id}/actions/send", retry=NO_RETRY)

    def report(self, campaign_id: str) -> Report:
        data = self._request("GET", f"/reports/{campaign_id}")
        return Report(
            recipients=int(data.get("emails_sent") or 0),
            opens=int((data.get("opens") or {}).get("unique_opens") or 0),
            clicks=int((data.get("clicks") or {}).get("unique_clicks") or 0),
            unsubscribes=int(data.get("unsubscribed") or 0),
        )


def _campaign(data: dict[str, Any]) -> RemoteCampaign:
    recipients = data.get("recipients") or {}
    count = recipients.get("recipient_count")
    send_time = data.get("send_time")
    return RemoteCampaign(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or ""),
        title=str((data.get("settings") or {}).get("title") or ""),
        recipient_count=int(count) if count is not None else None,
        send_time=_parse(send_time) if send_time else None,
        emails_sent=int(data["emails_sent"]) if data.get("emails_sent") is not None else None,
    )


def _parse(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
