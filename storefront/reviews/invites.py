"""Review invites: one e-mail per delivered order, some days after delivery, only with consent.

Consent is given at checkout (``orders.review_invites``) or as an account preference
(``customers.review_invites``); the signed opt-out link withdraws both for the address.
Exactly once: the order is marked invited in the transaction that queues the e-mail, and the
outbox key is the order number, so two sync processes racing still queue one e-mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from storefront.accounts.models import Customer
from storefront.db import Database, rows_matched, utcnow
from storefront.mail.messages import queue_email
from storefront.orders.models import Order, OrderEvent
from storefront.orders.states import OrderStatus


@dataclass
class InviteReport:
    """Orders due for an invite (``storefront.jobs.outcomes.ItemCounts``)."""

    due: int = 0
    sent: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.due


def _consented() -> object:
    customer_said_yes = exists().where(
        Customer.id == Order.customer_id, Customer.review_invites.is_(True)
    )
    return or_(Order.review_invites.is_(True), customer_said_yes)


def due_orders(session: Session, *, now: datetime, delay: timedelta) -> list[Order]:
    delivered_long_enough = exists().where(
        OrderEvent.order_id == Order.id,
        OrderEvent.to_status == OrderStatus.DELIVERED,
        OrderEvent.created_at <= now - delay,
    )
    return list(
        session.execute(
            select(Order)
            .where(
                Order.status == OrderStatus.DELIVERED,
                Order.review_invited_at.is_(None),
                _consented(),  # type: ignore[arg-type]  # a boolean SQL expression
                delivered_long_enough,
            )
            .options(selectinload(Order.items))
            .order_by(Order.id)
        ).scalars()
    )


def send_invites(
    db: Database,
    *,
    delay: timedelta,
    review_link: Callable[[str, str], str],
    optout_link: Callable[[str], str],
    now: datetime | None = None,
    dry_run: bool = False,
) -> InviteReport:
    report = InviteReport()
    now = now or utcnow()
    with db.session_scope(write=not dry_run) as session:
        orders = due_orders(session, now=now, delay=delay)
        report.due = len(orders)
        for order in orders:
            if dry_run:
                report.notes.append(f"would invite the buyer of {order.number}")
                continue
            claimed = rows_matched(
                session,
                update(Order)
                .where(Order.id == order.id, Order.review_invited_at.is_(None))
                .values(review_invited_at=now),
            )
            if not claimed:
                continue
            products: dict[str, str] = {}
            for item in order.items:
                products.setdefault(item.product_id, item.title)
            queue_email(
                session,
                "review_invite",
                order.email,
                order.number,
                {
                    "number": order.number,
                    "items": [
                        {"title": title, "link": review_link(order.number, pid)}
                        for pid, title in products.items()
                    ],
                    "optout": optout_link(order.email),
                    "one_click_optout": optout_link(order.email),
                },
            )
            report.sent += 1
    return report


def opt_out(session: Session, email: str) -> int:
    """Withdraw consent for ``email`` everywhere it was given; returns how many records."""
    email = email.lower()
    changed = rows_matched(
        session,
        update(Order)
        .where(func.lower(Order.email) == email, Order.review_invites.is_(True))
        .values(review_invites=False),
    )
    changed += rows_matched(
        session,
        update(Customer)
        .where(func.lower(Customer.email) == email, Customer.review_invites.is_(True))
        .values(review_invites=False),
    )
    return changed
