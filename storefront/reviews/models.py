"""A buyer's review of one product of one delivered order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class Review(TimestampMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # once per product and order, however often the form is sent
        UniqueConstraint("order_id", "product_id"),
        Index("ix_reviews_product_status", "product_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[str] = mapped_column(String(128))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    #: The only personal detail shown: the name the buyer chose to sign with.
    display_name: Mapped[str] = mapped_column(String(40))
    rating: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reply: Mapped[str | None] = mapped_column(Text)
    moderated_at: Mapped[datetime | None]
    moderated_by: Mapped[str | None] = mapped_column(String(64))
