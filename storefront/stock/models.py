"""Limited-edition stock: one counter row per variant, and the reservations against it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class StockCounter(TimestampMixin, Base):
    """``reserved <= limit`` is kept by a conditional UPDATE, atomic on SQLite and PostgreSQL."""

    __tablename__ = "stock_counters"
    __table_args__ = (UniqueConstraint("product_id", "variant_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[str] = mapped_column(String(128))
    variant_key: Mapped[str] = mapped_column(String(128))
    limit: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0)


class Reservation(TimestampMixin, Base):
    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("stock_counters.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="held")  # held|released|consumed
    expires_at: Mapped[datetime]
