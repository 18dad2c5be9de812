"""The transactional outbox: work promised in the same transaction as the fact behind it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin, utcnow
from storefront.fieldcrypt import EncryptedJSON


class OutboxEntry(TimestampMixin, Base):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("topic", "key"),
        Index("ix_outbox_due", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    # What makes the entry unique within its topic, e.g. the order number.
    key: Mapped[str] = mapped_column(String(255))
    # Sealed: an e-mail to send or a person to delete names them (storefront.fieldcrypt).
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
