"""What Gelato told us about each order: its Gelato orders (splits) and the parcels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class GelatoOrderRecord(TimestampMixin, Base):
    """One Gelato order; a split gives several for one of ours (same orderReferenceId)."""

    __tablename__ = "gelato_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    gelato_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    fulfillment_country: Mapped[str | None] = mapped_column(String(2))
    item_statuses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Parcel(TimestampMixin, Base):
    """A tracking code; several shipments are merged, never replaced."""

    __tablename__ = "parcels"
    __table_args__ = (UniqueConstraint("order_id", "tracking_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    gelato_order_id: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(128))
    tracking_url: Mapped[str | None] = mapped_column(String(1024))
    notified_at: Mapped[datetime | None]
