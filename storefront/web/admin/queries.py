"""Read models for the dashboard: order search with filters, the sales overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defer

from storefront.fieldcrypt import email_matches
from storefront.orders.models import Order, OrderItem
from storefront.orders.states import OrderStatus

PAGE_SIZE = 25
#: The orders whose money counts as revenue.
REVENUE_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SUBMITTED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    provider: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""
    page: int = 1


def filtered(session: Session, filters: OrderFilters) -> Select[Order]:
    """``q`` finds part of an order number, or a whole e-mail address (sealed e-mails are
    found through their blind index, so part of one cannot be; an order number never holds
    an "@", so an address is looked up in the index alone)."""
    # A list shows no address: leave it sealed (and unread) unless a page asks for it.
    stmt = select(Order).options(defer(Order.shipping_address, raiseload=True))
    if filters.status:
        stmt = stmt.where(Order.status == filters.status)
    if filters.provider:
        stmt = stmt.where(Order.payment_provider == filters.provider)
    if filters.since:
        stmt = stmt.where(Order.created_at >= datetime.combine(filters.since, time.min, UTC))
    if filters.until:
        stmt = stmt.where(
            Order.created_at < datetime.combine(filters.until + timedelta(days=1), time.min, UTC)
        )
    if "@" in filters.q:
        stmt = stmt.where(email_matches(session, Order.email_index, filters.q))
    elif filters.q:
        stmt = stmt.where(func.lower(Order.number).like(f"%{filters.q.strip().lower()}%"))
    return stmt


def search_orders(session: Session, filters: OrderFilters) -> tuple[list[Order], int]:
    stmt = filtered(session, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = (
        session.execute(
            stmt.order_by(Order.id.desc())
            .limit(PAGE_SIZE)
            .offset((max(filters.page, 1) - 1) * PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    return list(rows), total


@dataclass(frozen=True)
class DayTotal:
    day: date
    orders: int
    revenue: int


def sales_by_day(
    session: Session, *, currency: str, days: int = 14, today: date | None = None
) -> list[DayTotal]:
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    rows = session.execute(
        select(Order.paid_at, Order.total_amount - Order.refunded_amount).where(
            Order.paid_at.is_not(None),
            Order.currency == currency,
            Order.paid_at >= datetime.combine(start, time.min, UTC),
        )
    ).all()
    buckets = {start + timedelta(days=i): [0, 0] for i in range(days)}
    for paid_at, amount in rows:
        assert paid_at is not None  # the query reads paid orders only
        day = paid_at.astimezone(UTC).date()
        if day in buckets:
            buckets[day][0] += 1
            buckets[day][1] += int(amount)
    return [DayTotal(d, n, r) for d, (n, r) in sorted(buckets.items())]


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    orders: int
    revenue: int  # refunds deducted
    vat: int  # the VAT charged on those orders (before refunds)


def totals_by_currency(
    session: Session, *, days: int = 14, today: date | None = None
) -> list[CurrencyTotal]:
    """Paid orders of the last ``days`` per currency: money in different currencies is
    never added up (no exchange rates)."""
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    rows = session.execute(
        select(
            Order.currency,
            func.count(Order.id),
            func.sum(Order.total_amount - Order.refunded_amount),
            func.sum(Order.vat_amount),
        )
        .where(Order.paid_at.is_not(None), Order.paid_at >= datetime.combine(start, time.min, UTC))
        .group_by(Order.currency)
        .order_by(Order.currency)
    ).all()
    return [CurrencyTotal(str(c), int(n), int(r or 0), int(v or 0)) for c, n, r, v in rows]


def top_designs(session: Session, *, limit: int = 5) -> list[tuple[str, int]]:
    rows = session.execute(
        select(OrderItem.title, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.status.in_(REVENUE_STATUSES))
        .group_by(OrderItem.title)
        .order_by(func.sum(OrderItem.quantity).desc())
        .limit(limit)
    ).all()
    return [(title, int(qty)) for title, qty in rows]
