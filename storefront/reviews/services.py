"""Writing, moderating and reading reviews.

Statuses: ``pending`` (written, not shown), ``approved`` (shown), ``rejected`` (never shown).
An operator's reply is shown under an approved review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storefront.db import insert_or_ignore, utcnow
from storefront.errors import Conflict, NotFound, ValidationFailed
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from storefront.reviews.models import Review
from storefront.reviews.rules import ReviewInput, check_may_review, rating_label

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
Decision = Literal["approve", "reject", "reply"]


@dataclass(frozen=True)
class Summary:
    count: int
    average: float

    @property
    def label(self) -> str:
        return rating_label(self.average, self.count)

    @property
    def stars(self) -> int:
        """Whole stars to draw (rounded half up)."""
        return int(self.average + 0.5)


@dataclass(frozen=True)
class ShownReview:
    id: int
    display_name: str
    rating: int
    body: str
    reply: str | None
    written_at: datetime


def _order(session: Session, number: str) -> Order | None:
    return session.execute(
        select(Order).where(Order.number == number).options(selectinload(Order.items))
    ).scalar_one_or_none()


def _exists(session: Session, order_id: int, product_id: str) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.order_id == order_id, Review.product_id == product_id)
        )
        or 0
    ) > 0


def may_review(session: Session, number: str, product_id: str, customer_id: int) -> Order:
    """The order, if the form may be shown; else the refusal (see :mod:`.rules`)."""
    order = _order(session, number)
    already = order is not None and _exists(session, order.id, product_id)
    return check_may_review(order, product_id, customer_id, already=already)


def submit(
    session: Session, number: str, product_id: str, customer_id: int, data: ReviewInput
) -> None:
    """Record the review as ``pending``; a second one for the product and order is refused,
    also when two arrive at once (the unique constraint decides)."""
    order = may_review(session, number, product_id, customer_id)
    now = utcnow()
    new = insert_or_ignore(
        session,
        Review,
        {
            "product_id": product_id,
            "order_id": order.id,
            "customer_id": customer_id,
            "display_name": data.display_name,
            "rating": data.rating,
            "body": data.body,
            "status": PENDING,
            "created_at": now,
            "updated_at": now,
        },
    )
    if not new:
        raise Conflict(
            "You have already reviewed this shirt from this order.", code="already_reviewed"
        )


def moderate(
    session: Session, review_id: int, decision: Decision, *, actor: str, reply: str = ""
) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound("There is no such review.")
    if decision == "approve":
        review.status = APPROVED
    elif decision == "reject":
        review.status = REJECTED
    else:
        text = reply.strip()
        if not text or len(text) > 2000:
            raise ValidationFailed(
                "Write a reply of 1 to 2000 characters.",
                details=[{"field": "reply", "message": "1 to 2000 characters"}],
            )
        review.reply = text
    review.moderated_at = utcnow()
    review.moderated_by = actor
    return review


def approved(session: Session, product_id: str, *, limit: int = 50) -> list[ShownReview]:
    rows = session.execute(
        select(Review)
        .where(Review.product_id == product_id, Review.status == APPROVED)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    ).scalars()
    return [
        ShownReview(r.id, r.display_name, r.rating, r.body, r.reply, r.created_at) for r in rows
    ]


def summaries(session: Session, product_ids: list[str] | None = None) -> dict[str, Summary]:
    """Approved reviews' count and average per product (of ``product_ids``, or all)."""
    query = (
        select(Review.product_id, func.count(), func.avg(Review.rating))
        .where(Review.status == APPROVED)
        .group_by(Review.product_id)
    )
    if product_ids is not None:
        query = query.where(Review.product_id.in_(product_ids))
    return {
        pid: Summary(int(n), round(float(avg), 1)) for pid, n, avg in session.execute(query).all()
    }


def version(session: Session, product_ids: list[str] | None = None) -> tuple[int, str]:
    """What changes whenever a review shown on these products' pages changes: how many
    reviews were ever moderated and when the last was (a page's cache key and ETag)."""
    query = select(func.count(), func.max(Review.moderated_at)).where(
        Review.moderated_at.is_not(None)
    )
    if product_ids is not None:
        query = query.where(Review.product_id.in_(product_ids))
    count, newest = session.execute(query).one()
    return int(count or 0), newest.isoformat() if newest is not None else ""


def pending(session: Session, *, status: str = PENDING, limit: int = 100) -> list[Review]:
    return list(
        session.execute(
            select(Review)
            .where(Review.status == status)
            .order_by(Review.created_at, Review.id)
            .limit(limit)
        ).scalars()
    )


def reviewable(session: Session, customer_id: int) -> list[tuple[str, str, str]]:
    """``(order number, product id, title)`` of the customer's delivered shirts that have no
    review yet, newest order first."""
    orders = (
        session.execute(
            select(Order)
            .where(Order.customer_id == customer_id, Order.status == OrderStatus.DELIVERED)
            .options(selectinload(Order.items))
            .order_by(Order.id.desc())
        )
        .scalars()
        .all()
    )
    done = {
        (row.order_id, row.product_id)
        for row in session.execute(
            select(Review.order_id, Review.product_id).where(Review.customer_id == customer_id)
        )
    }
    out: list[tuple[str, str, str]] = []
    for order in orders:
        seen: set[str] = set()
        for item in order.items:
            if item.product_id in seen or (order.id, item.product_id) in done:
                continue
            seen.add(item.product_id)
            out.append((order.number, item.product_id, item.title))
    return out
