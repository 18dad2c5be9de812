"""Orders as customers see them: adopting the guest orders placed with a verified address."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from storefront.db import rows_matched
from storefront.fieldcrypt import email_matches
from storefront.orders.models import Order


def adopt_guest_orders(session: Session, customer_id: int, verified_email: str) -> int:
    """Link the guest orders placed with ``verified_email`` to the customer; returns how
    many. Only ever call it with an address the customer has proved they own."""
    return rows_matched(
        session,
        update(Order)
        .where(
            Order.customer_id.is_(None), email_matches(session, Order.email_index, verified_email)
        )
        .values(customer_id=customer_id),
    )
