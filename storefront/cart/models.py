"""Server-side carts, keyed by a signed cookie (guests) or a customer."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin


class CartStatus(StrEnum):
    """``Cart.status`` (stored as these strings): only an open cart is the shopper's cart."""

    OPEN = "open"
    MERGED = "merged"  # into the account's cart on login
    CONVERTED = "converted"  # became an order (reopened if that order goes unpaid)
    ABANDONED = "abandoned"  # its owner's account was deleted


class Cart(TimestampMixin, Base):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=CartStatus.OPEN)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(TimestampMixin, Base):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("cart_id", "product_id", "variant_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(128))
    variant_key: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int]
    # The price the shopper last saw, so a change in the CMS can be flagged, never charged.
    seen_unit_amount: Mapped[int]
    seen_currency: Mapped[str] = mapped_column(String(3))

    cart: Mapped[Cart] = relationship(back_populates="items")
