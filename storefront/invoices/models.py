"""Invoices, credit notes and the per-year counters their numbers come from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base
from storefront.fieldcrypt import EncryptedBytes, EncryptedJSON


class DocumentCounter(Base):
    """One row per (kind, year): ``last`` is the last number handed out. It is raised by an
    UPDATE inside the transaction that issues the document, so the row stays locked until
    that transaction ends: a rollback gives the number back, a commit keeps it — no hole,
    no duplicate."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("order_id"), UniqueConstraint("number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime]
    #: Every figure printed on it, fixed when issued (amounts in minor units).
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # names the buyer: sealed
    #: The PDF, written once on first download and never changed.
    pdf: Mapped[bytes | None] = mapped_column(EncryptedBytes)


class CreditNote(Base):
    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("refund_key"), UniqueConstraint("number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    refund_key: Mapped[str] = mapped_column(String(128))
    number: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # names the buyer: sealed
    pdf: Mapped[bytes | None] = mapped_column(EncryptedBytes)
