"""Every paid order printed once: timeouts, crashes and racing workers included."""

import threading

import pytest
from sqlalchemy import select

from storefront.container import services
from storefront.fulfillment.mapping import to_gelato_request
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.fulfillment.push import retry_parked
from storefront.orders.models import Order
from storefront.outbox import services as outbox
from tests.fulfillment_flow.conftest import Printshop, gelato_client, paid_order
from tests.support.services import push, sync, use_gelato
from tests.support.timing import CLIENT_TIMEOUT, HELD_FOR


def status(printshop: Printshop, order_id: int) -> str:
    with services(printshop.app).db.session_scope() as session:
        return session.get_one(Order, order_id).status


def gelato_orders(printshop: Printshop, number: str) -> int:
    return len(printshop.gelato.orders_for(number))


def test_paid_order_is_pushed_once(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-ONCE0001")
    report = push(printshop.app)
    assert report.pushed == 1
    assert status(printshop, order_id) == "submitted"
    assert gelato_orders(printshop, "SF-ONCE0001") == 1
    assert push(printshop.app).pushed == 0  # nothing left to do
    assert printshop.gelato.calls["create_order"] == 1


def test_timeout_after_gelato_stored_it_is_not_pushed_twice(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-TIMEOUT1")
    services(printshop.app).gelato.close()
    use_gelato(printshop.app, gelato_client(printshop.url, CLIENT_TIMEOUT))
    printshop.gelato.faults.timeout_next("POST /v4/orders", delay=HELD_FOR, after_commit=True)
    first = push(printshop.app)
    assert first.retried == 1
    assert status(printshop, order_id) == "paid"
    with services(printshop.app).db.session_scope() as session:  # make the retry due now
        session.execute(outbox.OutboxEntry.__table__.update().values(available_at=outbox.utcnow()))
    second = push(printshop.app)
    assert second.found == 1
    assert status(printshop, order_id) == "submitted"
    assert gelato_orders(printshop, "SF-TIMEOUT1") == 1
    assert printshop.gelato.calls["create_order"] == 1


def test_crash_between_call_and_commit(printshop: Printshop) -> None:
    """The worker called Gelato and died before recording it; the next one finds it."""
    order_id = paid_order(printshop.app, "SF-CRASH001")
    app = printshop.app
    db = services(app).db
    (entry,) = outbox.claim(db, "gelato.push", "doomed", lease=outbox.timedelta(seconds=-1))
    with db.session_scope() as session:
        outbox.mark_submitting(session, entry.id)
        order = session.get_one(Order, order_id)
        request = to_gelato_request(order, order_type="draft")
    services(app).gelato.create_order(request)  # …and the process dies here
    report = push(app)
    assert report.found == 1
    assert report.pushed == 0
    assert gelato_orders(printshop, "SF-CRASH001") == 1
    assert status(printshop, order_id) == "submitted"


def test_crash_then_gelato_reports_before_the_next_worker_looks(printshop: Printshop) -> None:
    """The worker died after Gelato took the order, and Gelato's status webhook arrived
    before the next worker: that worker finds the order, keeps the one record the webhook
    wrote, and the order moves on."""
    order_id = paid_order(printshop.app, "SF-CRASH002")
    db = services(printshop.app).db
    (entry,) = outbox.claim(db, "gelato.push", "doomed", lease=outbox.timedelta(seconds=-1))
    with db.session_scope() as session:
        outbox.mark_submitting(session, entry.id)
        request = to_gelato_request(session.get_one(Order, order_id), order_type="order")
    created = services(printshop.app).gelato.create_order(request)  # …the process dies here
    printshop.gelato.advance(created.id, "in_production")  # the webhook finds a paid order
    assert status(printshop, order_id) == "paid"
    with db.session_scope() as session:
        assert session.scalar(select(GelatoOrderRecord.status)) == "in_production"
    report = push(printshop.app)
    assert (report.found, report.pushed) == (1, 0)
    assert status(printshop, order_id) == "submitted"
    with db.session_scope() as session:
        records = session.execute(select(GelatoOrderRecord)).scalars().all()
        assert [(r.order_id, r.gelato_order_id) for r in records] == [(order_id, created.id)]
    assert sync(printshop.app, "SF-CRASH002") is not None
    assert status(printshop, order_id) == "in_production"
    assert printshop.gelato.calls["create_order"] == 1


def test_two_workers_racing(printshop: Printshop) -> None:
    numbers = [f"SF-RACE{i:04d}" for i in range(12)]
    for number in numbers:
        paid_order(printshop.app, number)
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def work() -> None:
        barrier.wait()
        while True:
            r = push(printshop.app, limit=2)
            if not (r.pushed or r.found or r.retried or r.parked or r.skipped):
                break
            errors.extend(r.notes)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [gelato_orders(printshop, n) for n in numbers] == [1] * len(numbers)
    assert printshop.gelato.calls["create_order"] == len(numbers)
    with services(printshop.app).db.session_scope() as session:
        assert set(session.execute(select(Order.status)).scalars()) == {"submitted"}


def test_gelato_400_parks_and_operator_retry_pushes(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PARKED1")
    printshop.gelato.faults.fail_next("POST /v4/orders", status=400)
    report = push(printshop.app)
    assert report.parked == 1
    with services(printshop.app).db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "needs_attention"
        assert "Gelato refused the order" in (order.attention_reason or "")
    assert push(printshop.app).pushed == 0  # parked stays parked
    assert retry_parked(services(printshop.app).db, order_id, actor="operator:1")
    assert push(printshop.app).pushed == 1
    assert status(printshop, order_id) == "submitted"
    assert gelato_orders(printshop, "SF-PARKED1") == 1


@pytest.mark.parametrize("line", ["x" * 36])
def test_a_bad_address_is_reported_not_retried_forever(printshop: Printshop, line: str) -> None:
    order_id = paid_order(printshop.app, "SF-BADADDR", address_line1=line)
    assert push(printshop.app).parked == 1
    with services(printshop.app).db.session_scope() as session:
        assert session.get_one(Order, order_id).status == "needs_attention"
