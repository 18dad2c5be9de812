"""Staff second factor: the sealed TOTP secret and the one-time recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class StaffTotp(TimestampMixin, Base):
    """One per staff member. ``enabled_at`` stays empty until a code proved the enrolment."""

    __tablename__ = "staff_totp"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``<data key id>:<base64 of nonce + AES-GCM ciphertext>``, never the secret itself.
    sealed_secret: Mapped[str] = mapped_column(String(255))
    enabled_at: Mapped[datetime | None]
    #: The RFC 6238 time step of the last code accepted: a code is good once.
    last_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(TimestampMixin, Base):
    """A code printed once; only its argon2id hash is kept, found by its public selector."""

    __tablename__ = "staff_recovery_codes"
    __table_args__ = (UniqueConstraint("customer_id", "selector"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    selector: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]
