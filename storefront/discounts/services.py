"""Discount codes in the database: create, list, pause; reserve a use, release, consume.

A use is reserved in the transaction that creates the order, with one conditional UPDATE
(``uses < max_uses``) — atomic on SQLite (writer lock) and PostgreSQL (row lock), so
however many checkouts race for the last use, exactly one gets it. The reservation is
released when the order is cancelled or its payment lapses or fails (like limited stock),
and consumed when it is paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storefront.db import rows_matched, utcnow
from storefront.discounts.models import DiscountCode, DiscountRedemption
from storefront.discounts.rules import (
    Applied,
    CartLine,
    DiscountRefused,
    evaluate,
    is_well_formed,
    normalise_code,
)
from storefront.discounts.schemas import DiscountIn
from storefront.fieldcrypt import session_cipher

HOLDING = ("held", "consumed")


class DuplicateCode(Exception):
    pass


def create(session: Session, data: DiscountIn, *, actor: str) -> DiscountCode:
    if find(session, data.code) is not None:
        raise DuplicateCode(f"A code {data.code} exists already; choose another.")
    code = DiscountCode(**data.model_dump(), uses=0, paused=False, created_by=actor)
    session.add(code)
    session.flush()
    return code


def find(session: Session, code: str) -> DiscountCode | None:
    name = normalise_code(code)
    if not is_well_formed(name):
        return None
    return session.execute(
        select(DiscountCode).where(DiscountCode.code == name)
    ).scalar_one_or_none()


def listing(session: Session, *, limit: int = 100, offset: int = 0) -> Sequence[DiscountCode]:
    return (
        session.execute(
            select(DiscountCode).order_by(DiscountCode.id.desc()).limit(limit).offset(offset)
        )
        .scalars()
        .all()
    )


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DiscountCode)) or 0


def set_paused(session: Session, code: str, paused: bool) -> DiscountCode | None:
    found = find(session, code)
    if found is not None:
        found.paused = paused
    return found


def customer_uses(session: Session, code_id: int, customer_key: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(DiscountRedemption)
            .where(
                DiscountRedemption.code_id == code_id,
                DiscountRedemption.customer_key.in_(
                    session_cipher(session).blind_indexes(customer_key)
                ),
                DiscountRedemption.status.in_(HOLDING),
            )
        )
        or 0
    )


def check(
    session: Session,
    text: str,
    *,
    lines: Sequence[CartLine],
    currency: str,
    shipping: int,
    customer_key: str | None,
    now: datetime | None = None,
) -> Applied:
    """What the typed code would take off (no use reserved); :class:`DiscountRefused` if none."""
    name = normalise_code(text)
    code = find(session, name)
    if code is None:
        raise DiscountRefused(f"We don't know the code {name[:40]!r}; check its spelling.")
    used = customer_uses(session, code.id, customer_key) if customer_key else 0
    return evaluate(
        code,
        lines=lines,
        currency=currency,
        shipping=shipping,
        now=now or utcnow(),
        customer_uses=used,
    )


def reserve(
    session: Session, applied: Applied, *, order_id: int, customer_key: str, currency: str
) -> None:
    """Take one use for the order, or :class:`DiscountRefused` if the last one just went."""
    matched = rows_matched(
        session,
        update(DiscountCode)
        .where(
            DiscountCode.id == applied.code_id,
            DiscountCode.paused.is_(False),
            (DiscountCode.max_uses.is_(None)) | (DiscountCode.uses < DiscountCode.max_uses),
        )
        .values(uses=DiscountCode.uses + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    if matched != 1:
        raise DiscountRefused(f"The code {applied.code} has just been used up.")
    # The UPDATE holds the code's row until commit, so this shopper's other checkouts queue
    # here and count each other's uses: the per-customer limit holds under races too.
    limit = session.scalar(
        select(DiscountCode.max_uses_per_customer).where(DiscountCode.id == applied.code_id)
    )
    if limit is not None and customer_uses(session, applied.code_id, customer_key) >= limit:
        session.execute(
            update(DiscountCode)
            .where(DiscountCode.id == applied.code_id)
            .values(uses=DiscountCode.uses - 1)
            .execution_options(synchronize_session=False)
        )
        raise DiscountRefused(f"You have already used the code {applied.code}.")
    session.add(
        DiscountRedemption(
            code_id=applied.code_id,
            order_id=order_id,
            customer_key=session_cipher(session).blind_index(customer_key),
            amount=applied.total,
            currency=currency,
            status="held",
        )
    )


def release(session: Session, order_id: int) -> bool:
    """Give the order's held use back (payment failed or lapsed, order cancelled)."""
    held = session.execute(
        select(DiscountRedemption).where(
            DiscountRedemption.order_id == order_id, DiscountRedemption.status == "held"
        )
    ).scalar_one_or_none()
    if held is None:
        return False
    session.execute(
        update(DiscountCode)
        .where(DiscountCode.id == held.code_id)
        .values(uses=DiscountCode.uses - 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    held.status = "released"
    return True


def consume(session: Session, order_id: int) -> None:
    """The order is paid: its use is spent for good."""
    session.execute(
        update(DiscountRedemption)
        .where(DiscountRedemption.order_id == order_id, DiscountRedemption.status == "held")
        .values(status="consumed", updated_at=utcnow())
    )
