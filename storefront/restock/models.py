"""A shopper's wish to hear once when a sold-out size is back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class RestockRequest(TimestampMixin, Base):
    __tablename__ = "restock_requests"
    __table_args__ = (Index("ix_restock_requests_uid_status", "product_uid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[str] = mapped_column(String(128))
    variant_key: Mapped[str] = mapped_column(String(128))
    #: Gelato's id of the variant: what the inventory reconcile reports as available again.
    product_uid: Mapped[str] = mapped_column(String(255))
    #: ``pending`` (e-mail not confirmed), ``open``, ``notified`` (closed by the e-mail).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    confirmed_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
