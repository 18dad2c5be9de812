"""Payments (one per provider attempt) and refunds, amounts in minor units."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class AttemptStatus(StrEnum):
    """``Payment.status``: where one provider attempt stands (stored as these strings)."""

    OPEN = "open"
    APPROVED = "approved"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


class Payment(TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "provider_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    # Checkout Session id (Stripe) or Orders v2 id (PayPal).
    provider_ref: Mapped[str] = mapped_column(String(255))
    # PaymentIntent id (Stripe) or capture id (PayPal), known once paid.
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    failure_reason: Mapped[str | None] = mapped_column(Text)


class Refund(TimestampMixin, Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
