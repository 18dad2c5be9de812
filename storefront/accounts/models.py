"""Customers (shoppers, operators, admins) and their saved addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin
from storefront.fieldcrypt import EncryptedText, keep_blind_index


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Personal data is sealed (storefront.fieldcrypt); the e-mail is found by its blind index.
    email: Mapped[str] = mapped_column(EncryptedText)
    email_index: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(EncryptedText)
    role: Mapped[str] = mapped_column(String(16), default="customer")
    email_verified_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class Address(TimestampMixin, Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # Everything but the country is sealed (the limits on lengths live in the forms).
    first_name: Mapped[str] = mapped_column(EncryptedText)
    last_name: Mapped[str] = mapped_column(EncryptedText)
    company: Mapped[str | None] = mapped_column(EncryptedText)
    line1: Mapped[str] = mapped_column(EncryptedText)
    line2: Mapped[str | None] = mapped_column(EncryptedText)
    city: Mapped[str] = mapped_column(EncryptedText)
    post_code: Mapped[str] = mapped_column(EncryptedText)
    state: Mapped[str | None] = mapped_column(EncryptedText)
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    is_default: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")


keep_blind_index(Customer, "email", "email_index")
