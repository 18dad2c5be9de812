"""Every paid order printed once: timeouts, crashes and racing workers included."""

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from storefront.container import services
from storefront.db import Database
from storefront.fulfillment.mapping import to_gelato_request
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.fulfillment.push import retry_parked
from storefront.gelato.client import GelatoClient
from storefront.gelato.types import GelatoOrder, GelatoOrderRequest, GelatoOrderSummary
from storefront.orders.models import Order
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry
from tests.fulfillment_flow.conftest import Printshop, gelato_client, paid_order
from tests.support.services import push, sync, use_gelato
from tests.support.timing import ANSWERED_TIMEOUT, CLIENT_TIMEOUT, HELD_FOR


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


class ProcessDied(BaseException):
    """The worker's process ending in the middle of the Gelato call (not an error it sees)."""


class DiesInTheCall(GelatoClient):
    def create_order(self, request: GelatoOrderRequest) -> GelatoOrder:
        raise ProcessDied()


class OvertakenWhileSearching(GelatoClient):
    """The worker stalls in its search past its lease, and another worker takes over."""

    def __init__(self, url: str, db: Database) -> None:
        super().__init__(api_key="k", order_base=url, product_base=url, timeout=ANSWERED_TIMEOUT)
        self.db = db

    def find_by_reference(self, order_reference_id: str) -> list[GelatoOrderSummary]:
        with self.db.session_scope(write=True) as session:
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.topic == "gelato.push", OutboxEntry.key == order_reference_id)
                .values(locked_by="worker-b", locked_until=outbox.utcnow() + timedelta(minutes=5))
            )
        return super().find_by_reference(order_reference_id)


def test_a_dead_workers_order_waits_one_lease_for_another(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-DIED0001")
    services(printshop.app).gelato.close()
    use_gelato(printshop.app, DiesInTheCall(api_key="k", order_base=printshop.url))
    lease = timedelta(minutes=10)
    died_at = outbox.utcnow()
    with pytest.raises(ProcessDied):
        push(printshop.app, lease=lease)
    db = services(printshop.app).db
    with time_machine.travel(died_at + timedelta(minutes=9), tick=False):
        assert outbox.claim(db, "gelato.push", "worker-b") == []  # still the dead one's
    with time_machine.travel(died_at + lease + timedelta(minutes=1), tick=False):
        (taken,) = outbox.claim(db, "gelato.push", "worker-b")
    assert (taken.key, taken.status_before) == ("SF-DIED0001", "submitting")
    assert status(printshop, order_id) == "paid"


def test_a_pass_overtaken_while_it_searched_never_creates(printshop: Printshop) -> None:
    """A retry searches Gelato first; when its claim went to another worker meanwhile, the
    pass leaves the order to that worker instead of creating it a second time."""
    order_id = paid_order(printshop.app, "SF-OVERTAKE")
    printshop.gelato.faults.fail_next("POST /v4/orders", status=503, times=10)
    assert push(printshop.app).retried == 1
    printshop.gelato.faults.clear()
    db = services(printshop.app).db
    with db.session_scope(write=True) as session:
        row = session.execute(
            select(OutboxEntry).where(OutboxEntry.topic == "gelato.push")
        ).scalar_one()
        row.available_at = row.created_at  # due again now
    creates = printshop.gelato.calls["create_order"]
    services(printshop.app).gelato.close()
    use_gelato(printshop.app, OvertakenWhileSearching(printshop.url, db))
    report = push(printshop.app)
    assert (report.skipped, report.pushed) == (1, 0)
    assert report.notes == ["SF-OVERTAKE: claim lapsed; left to the worker that took it over"]
    assert printshop.gelato.calls["create_order"] == creates
    assert gelato_orders(printshop, "SF-OVERTAKE") == 0
    assert status(printshop, order_id) == "paid"
