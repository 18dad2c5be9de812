"""One row per campaign document revision that went (or is going) to Mailchimp.

The row is written *before* the Mailchimp campaign is created: the unique (document,
revision) pair is the claim, so two sync processes never both create one, and the row
remembers how far the send got (``claimed`` → ``created`` → ``scheduled``/``sent``, or
``failed``) so a crash resumes where it stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin

CLAIMED = "claimed"
CREATED = "created"
SCHEDULED = "scheduled"
SENT = "sent"
FAILED = "failed"
#: States after which Mailchimp holds (or sent) the e-mail: never sent again.
GONE_OUT = (SCHEDULED, SENT)
IN_PROGRESS = (CLAIMED, CREATED)


class CampaignSend(TimestampMixin, Base):
    __tablename__ = "campaign_sends"
    __table_args__ = (UniqueConstraint("document_id", "document_rev"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``drafts.<id>`` for a test of a draft; the published id for everything else.
    document_id: Mapped[str] = mapped_column(String(160), index=True)
    document_rev: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(16))
    #: ``send`` (the sync job) or ``test`` (a test of a draft; never sent to the list).
    purpose: Mapped[str] = mapped_column(String(8), default="send")
    state: Mapped[str] = mapped_column(String(16), default=CLAIMED)
    #: The Mailchimp campaign's ``settings.title``: carries the marker of this revision.
    title: Mapped[str] = mapped_column(String(200))
    mailchimp_id: Mapped[str | None] = mapped_column(String(32))
    #: Creates tried: above 0, look for the campaign by title before creating again.
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    recipients: Mapped[int | None]
    scheduled_for: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    #: The document's ``_rev`` after our last status write (not an editor's change).
    written_rev: Mapped[str | None] = mapped_column(String(64))
