"""One shopper's concurrent checkouts with a once-per-customer code: exactly one gets it,
on SQLite and PostgreSQL; the code's use count matches."""

from __future__ import annotations

import threading

from sqlalchemy import select

from storefront.db import Database
from storefront.discounts import services as discounts
from storefront.discounts.models import DiscountCode
from storefront.discounts.rules import CartLine, DiscountRefused
from storefront.discounts.schemas import DiscountIn
from storefront.orders.models import Order

TABS = 6


def test_a_once_per_customer_code_is_reserved_once_under_a_race(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.session_scope(write=True) as session:
            discounts.create(
                session,
                DiscountIn(code="ONCE", kind="percent", percent=10, max_uses_per_customer=1),
                actor="test",
            )
            ids = []
            for i in range(TABS):
                order = Order(
                    number=f"GC-RACE-{i}",
                    email="ada@example.com",
                    status="pending_payment",
                    currency="EUR",
                    subtotal_amount=2900,
                    shipping_amount=0,
                    total_amount=2900,
                    shipping_address={},
                    items=[],
                )
                session.add(order)
                session.flush()
                ids.append(order.id)
        barrier = threading.Barrier(TABS)
        won: list[int] = []
        errors: list[BaseException] = []

        def tab(order_id: int) -> None:
            barrier.wait()
            try:
                with db.session_scope(write=True) as session:
                    applied = discounts.check(
                        session,
                        "once",
                        lines=[CartLine(2900)],
                        currency="EUR",
                        shipping=0,
                        customer_key="Ada@example.com",
                    )
                    discounts.reserve(
                        session,
                        applied,
                        order_id=order_id,
                        customer_key="ada@example.com",
                        currency="EUR",
                    )
                    won.append(order_id)
            except DiscountRefused:
                pass
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=tab, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(won) == 1
        with db.session_scope() as session:
            assert session.execute(select(DiscountCode.uses)).scalar_one() == 1
    finally:
        db.dispose()
