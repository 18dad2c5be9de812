"""Every webhook delivery we accepted, unique per (provider, event id): the dedupe log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, utcnow
from storefront.fieldcrypt import EncryptedJSON


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(24), default="received")
    detail: Mapped[str | None] = mapped_column(Text)
    # Sealed: a payment event names the buyer (storefront.fieldcrypt).
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
