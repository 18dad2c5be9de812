"""Invoice numbers are taken in the transaction that confirms the payment: workers
confirming at the same moment never share a number and never leave a hole, even when one
of them rolls back after taking its number."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from storefront.db import Database, utcnow
from storefront.invoices.models import Invoice
from storefront.orders.models import Order, OrderItem
from storefront.payments.confirmation import PaymentFacts, confirm_paid
from tests.conftest import _truncate_all

WORKERS = 8


class RolledBack(Exception):
    pass


def _orders(db: Database, n: int) -> list[int]:
    ids = []
    with db.session_scope(write=True) as session:
        for i in range(n):
            order = Order(
                number=f"GC-TEST-{i:03d}",
                email=f"p{i}@example.com",
                status="pending_payment",
                currency="EUR",
                subtotal_amount=2900,
                shipping_amount=495,
                total_amount=3395,
                shipping_address={"first_name": "Ada", "last_name": "L", "country": "DE"},
                payment_provider="stripe",
                items=[
                    OrderItem(
                        product_id="p",
                        variant_key="v",
                        product_uid="u",
                        title="Tee",
                        size="M",
                        colour="Black",
                        unit_amount=2900,
                        quantity=1,
                        line_amount=2900,
                        currency="EUR",
                    )
                ],
            )
            session.add(order)
            session.flush()
            ids.append(order.id)
    return ids


@pytest.mark.postgres
def test_concurrent_confirmations_number_invoices_without_holes(pg_migrated_url: str) -> None:
    _truncate_all(pg_migrated_url)
    db = Database(pg_migrated_url)
    try:
        ids = _orders(db, WORKERS)
        barrier = threading.Barrier(WORKERS)
        errors: list[BaseException] = []

        def confirm(i: int, order_id: int) -> None:
            barrier.wait()
            try:
                with db.session_scope(write=True) as session:
                    facts = PaymentFacts("stripe", f"cs_{i}", f"pi_{i}", 3395, "EUR")
                    result = confirm_paid(
                        session, order_id, facts, actor="test", order_link="http://x/o"
                    )
                    assert result == "confirmed"
                    if i == 3:
                        raise RolledBack  # took a number, then the transaction failed
            except RolledBack:
                pass
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=confirm, args=(i, o)) for i, o in enumerate(ids)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with db.session_scope() as session:
            numbers = sorted(session.execute(select(Invoice.number)).scalars())
            paid = session.execute(select(Order).where(Order.status == "paid")).scalars().all()
        year = utcnow().year
        assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, WORKERS)]
        assert len(paid) == WORKERS - 1
    finally:
        db.dispose()
        _truncate_all(pg_migrated_url)
