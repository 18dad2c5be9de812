"""Customers (shoppers, operators, admins) and their saved addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    email_verified_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]
    #: Account preference: ask me for a review of what was delivered.
    review_invites: Mapped[bool] = mapped_column(default=False, server_default=false())

    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class Address(TimestampMixin, Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(25))
    last_name: Mapped[str] = mapped_column(String(25))
    company: Mapped[str | None] = mapped_column(String(60))
    line1: Mapped[str] = mapped_column(String(35))
    line2: Mapped[str | None] = mapped_column(String(35))
    city: Mapped[str] = mapped_column(String(30))
    post_code: Mapped[str] = mapped_column(String(15))
    state: Mapped[str | None] = mapped_column(String(35))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(25))
    is_default: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")
