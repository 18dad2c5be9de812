"""Discount codes and their uses (one row per order that holds or used a code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class DiscountCode(TimestampMixin, Base):
    """``uses <= max_uses`` is kept by one conditional UPDATE, like the stock counters."""

    __tablename__ = "discount_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # percent | fixed | free_shipping
    percent: Mapped[int | None]
    #: ``fixed``: minor units per currency, e.g. ``{"EUR": 500, "GBP": 400}``.
    amounts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: The least subtotal per currency; a currency missing here cannot use a code that has one.
    min_subtotal: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: Collection (category) slugs; empty: the whole cart.
    collections: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    max_uses: Mapped[int | None]
    max_uses_per_customer: Mapped[int | None]
    #: Uses held by unpaid orders plus uses by paid ones.
    uses: Mapped[int] = mapped_column(default=0)
    paused: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(64))


class DiscountRedemption(TimestampMixin, Base):
    __tablename__ = "discount_redemptions"
    __table_args__ = (UniqueConstraint("order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    #: The blind index of the shopper's e-mail (storefront.fieldcrypt), never the address:
    #: "per customer" counts guests and accounts alike.
    customer_key: Mapped[str] = mapped_column(String(254), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="held")  # held|released|consumed
