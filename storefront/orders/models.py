"""Orders with price snapshots, and the audit trail of their transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin, utcnow


class Order(TimestampMixin, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_amount: Mapped[int]
    shipping_amount: Mapped[int]
    total_amount: Mapped[int]
    refunded_amount: Mapped[int] = mapped_column(default=0)
    shipping_method: Mapped[str | None] = mapped_column(String(64))
    # The choice as checkout worded it ("Standard (3–6 working days)"), shown again on the
    # order page and in e-mails; None on orders placed before it was kept.
    shipping_label: Mapped[str | None] = mapped_column(String(128))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    payment_provider: Mapped[str | None] = mapped_column(String(16))
    paid_at: Mapped[datetime | None]
    attention_reason: Mapped[str | None] = mapped_column(Text)
    # The cart it came from (emptied once paid) and the form submission that made it, so a
    # double-clicked "Pay" finds this order instead of making a second one.
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id", ondelete="SET NULL"))
    checkout_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    payment_expires_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(128))
    variant_key: Mapped[str] = mapped_column(String(128))
    product_uid: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    size: Mapped[str] = mapped_column(String(16))
    colour: Mapped[str] = mapped_column(String(32))
    unit_amount: Mapped[int]
    quantity: Mapped[int]
    line_amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    print_files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="items")


class OrderEvent(Base):
    """One transition or noteworthy fact: who, when, why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
