"""A ``newsletterCampaign`` document as the shop reads it (fields from ``cms_schema.types``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cms_schema.campaigns import fingerprint
from storefront.mailchimp.campaigns import Audience

#: Published campaigns the job looks at: approved ones, and those it sent (for reports).
DUE = (
    '*[_type == "newsletterCampaign" && (ready == true || defined(delivery.state))]'
    " | order(_id asc)"
)
ONE = "*[_id == $id][0]"
#: Mailchimp's settings.title is our marker: "<title> [sf:<document id>@<revision>]".
MARKER = "[sf:{id}@{rev}]"
QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class CampaignDoc:
    id: str
    rev: str
    title: str
    subject: str
    preheader: str
    body: list[dict[str, Any]]
    audience: Audience
    send_at: datetime | None
    send_now: bool
    ready: bool
    fingerprint: str
    delivery: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> CampaignDoc:
        audience = doc.get("audience") if isinstance(doc.get("audience"), Mapping) else {}
        assert isinstance(audience, Mapping)
        segment = audience.get("segmentId")
        body = doc.get("body")
        delivery = doc.get("delivery")
        return cls(
            # the drafts perspective overlays a draft on the published id; keep the draft's
            id=str(doc.get("_originalId") or doc["_id"]),
            rev=str(doc.get("_rev") or ""),
            title=str(doc.get("title") or doc["_id"]),
            subject=str(doc.get("subject") or ""),
            preheader=str(doc.get("preheader") or ""),
            body=[b for b in body if isinstance(b, dict)] if isinstance(body, list) else [],
            audience=Audience(
                kind=str(audience.get("kind") or "everyone"),
                tag=str(audience["tag"]) if audience.get("tag") else None,
                segment_id=int(segment) if isinstance(segment, int | float) else None,
            ),
            send_at=_parse(doc.get("sendAt")),
            send_now=doc.get("sendNow") is True,
            ready=doc.get("ready") is True,
            fingerprint=fingerprint(doc),
            delivery=delivery if isinstance(delivery, Mapping) else {},
        )

    @property
    def published_id(self) -> str:
        return self.id.removeprefix("drafts.")

    @property
    def slug(self) -> str:
        """``utm_campaign``: the title in lower-case words joined by dashes."""
        words = re.findall(r"[a-z0-9]+", self.title.lower())
        return "-".join(words)[:60] or self.published_id

    def marked_title(self) -> str:
        marker = MARKER.format(id=self.id, rev=self.rev)
        return f"{self.title[: 190 - len(marker)]} {marker}"

    def send_time(self, now: datetime) -> datetime | None:
        """When Mailchimp should send it: ``None`` for now (``sendNow``, or a time already
        past), else ``sendAt`` rounded up to the quarter hour Mailchimp requires."""
        if self.send_now or self.send_at is None:
            return None
        at = self.send_at.astimezone(UTC).replace(second=0, microsecond=0)
        if at < self.send_at:
            at += timedelta(minutes=1)
        at += timedelta(minutes=-at.minute % 15)
        return at if at > now else None


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
