"""Newsletter subscribers with their consent: our record of who asked for mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin
from storefront.fieldcrypt import EncryptedText, keep_blind_index


class Subscriber(TimestampMixin, Base):
    __tablename__ = "newsletter_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(EncryptedText)  # sealed; found by its blind index
    email_index: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    consent_at: Mapped[datetime | None]
    consent_source: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    provider_status: Mapped[str | None] = mapped_column(String(16))
    provider_synced_at: Mapped[datetime | None]


keep_blind_index(Subscriber, "email", "email_index")
