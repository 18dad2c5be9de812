"""The fulfillment workers' bookkeeping while another process writes to the database (the
shop taking an order, the other sync process): on SQLite each read-then-write transaction
takes the write lock up front and waits its turn, so it never fails with "database is
locked" half-way and leaves an order parked, retried or synced only in Gelato's eyes.

:class:`WriterMeanwhile` makes the overlap happen every time, without timing: the other
writer holds SQLite's write lock until this thread's next transaction has begun (``BEGIN
IMMEDIATE`` waits for the lock) or, if that transaction was opened without the lock, until it
has read; then it commits, and a transaction that read before that commit cannot write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from storefront.container import services
from storefront.db import Database
from storefront.fulfillment.push import TOPIC, PushReport, push_one, retry_parked
from storefront.gelato.client import GelatoClient
from storefront.gelato.types import GelatoOrder, GelatoOrderRequest
from storefront.orders.models import Order, OrderEvent
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.services import push, sync, use_gelato
from tests.support.timing import ANSWERED_TIMEOUT

SAFETY_NET = 60.0  # seconds; each wait ends as soon as the other side acts


class WriterMeanwhile:
    """Another connection that writes while this thread's next transaction runs."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.owner = threading.get_ident()
        self.armed = False
        self.held = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, daemon=True)
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)

    def start(self) -> None:
        """Take the write lock now (from another thread); the next transaction of this
        thread lets it commit. Once per test."""
        if self.held.is_set():
            return
        self._thread.start()
        assert self.held.wait(SAFETY_NET), "the other writer never got the lock"
        self.armed = True

    def close(self) -> None:
        self.release.set()
        self._thread.join(SAFETY_NET)
        event.remove(self.db.engine, "before_cursor_execute", self._before)
        event.remove(self.db.engine, "after_cursor_execute", self._after)
        if self.error is not None:
            raise self.error

    def _write(self) -> None:
        try:
            engine = self.db.engine.execution_options(sqlite_begin="IMMEDIATE")
            with engine.begin() as conn:
                conn.execute(
                    insert(OutboxEntry).values(
                        topic="other.work", key="meanwhile", payload={}, status="pending"
                    )
                )
                self.held.set()
                assert self.release.wait(SAFETY_NET), "this thread never began its transaction"
            self.done.set()
        except BaseException as exc:  # surfaced by close()
            self.error = exc
            self.held.set()

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._ours() and statement.startswith("BEGIN IMMEDIATE"):
            self._let_go()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._ours() and statement.lstrip().upper().startswith("SELECT"):
            self._let_go()
            assert self.done.wait(SAFETY_NET), "the other writer never committed"

    def _ours(self) -> bool:
        return self.armed and threading.get_ident() == self.owner

    def _let_go(self) -> None:
        self.armed = False
        self.release.set()


@pytest.fixture
def meanwhile(printshop: Printshop) -> Iterator[WriterMeanwhile]:
    if not services(printshop.app).db.is_sqlite:
        pytest.skip("PostgreSQL locks the order row (FOR UPDATE) instead")
    writer = WriterMeanwhile(services(printshop.app).db)
    yield writer
    writer.close()


class WriteWhileCalling(GelatoClient):
    """Gelato's client, with the other writer starting while the worker calls Gelato
    (the worker holds no transaction then) and Gelato answering ``status``."""

    def __init__(self, printshop: Printshop, writer: WriterMeanwhile) -> None:
        url = printshop.url
        super().__init__(
            api_key="k",
            order_base=url,
            product_base=url,
            shipment_base=url,
            timeout=ANSWERED_TIMEOUT,
        )
        self.writer = writer

    def create_order(self, request: GelatoOrderRequest) -> GelatoOrder:
        self.writer.start()
        return super().create_order(request)

    def get_order(self, order_id: str) -> GelatoOrder:
        found = super().get_order(order_id)
        self.writer.start()
        return found


def _entry(printshop: Printshop) -> tuple[str, str | None]:
    with services(printshop.app).db.session_scope() as session:
        row = session.execute(select(OutboxEntry).where(OutboxEntry.topic == TOPIC)).scalar_one()
        return row.status, row.last_error


def _status(printshop: Printshop, order_id: int) -> str:
    with services(printshop.app).db.session_scope() as session:
        return session.get_one(Order, order_id).status


def _use(printshop: Printshop, writer: WriterMeanwhile) -> None:
    services(printshop.app).gelato.close()
    use_gelato(printshop.app, WriteWhileCalling(printshop, writer))


def test_a_retry_is_recorded_while_another_process_writes(
    printshop: Printshop, meanwhile: WriterMeanwhile
) -> None:
    order_id = paid_order(printshop.app, "SF-BUSY0001")
    _use(printshop, meanwhile)
    printshop.gelato.faults.fail_next("POST /v4/orders", status=503, times=10)
    assert push(printshop.app).retried == 1
    status, error = _entry(printshop)
    assert status == "submitting" and error  # searched before the next call
    assert _status(printshop, order_id) == "paid"


def test_a_refusal_is_parked_while_another_process_writes(
    printshop: Printshop, meanwhile: WriterMeanwhile
) -> None:
    order_id = paid_order(printshop.app, "SF-BUSY0002")
    _use(printshop, meanwhile)
    printshop.gelato.faults.fail_next("POST /v4/orders", status=400)
    assert push(printshop.app).parked == 1
    assert _entry(printshop)[0] == "parked"
    assert _status(printshop, order_id) == "needs_attention"


def test_a_skipped_order_is_done_while_another_process_writes(
    printshop: Printshop, meanwhile: WriterMeanwhile
) -> None:
    order_id = paid_order(printshop.app, "SF-BUSY0003")
    db = services(printshop.app).db
    with db.session_scope(write=True) as session:
        session.get_one(Order, order_id).status = "cancelled"
    (claimed,) = outbox.claim(db, TOPIC, "worker-a")
    report = PushReport()
    meanwhile.start()
    push_one(db, services(printshop.app).gelato, claimed, report, order_type="order")
    assert report.skipped == 1
    assert _entry(printshop)[0] == "done"


def test_an_operator_retry_while_another_process_writes(
    printshop: Printshop, meanwhile: WriterMeanwhile
) -> None:
    order_id = paid_order(printshop.app, "SF-BUSY0004")
    db = services(printshop.app).db
    with db.session_scope(write=True) as session:
        session.get_one(Order, order_id).status = "needs_attention"
    meanwhile.start()
    assert retry_parked(db, order_id, actor="operator:1") is True
    assert _status(printshop, order_id) == "paid"
    assert _entry(printshop)[0] == "pending"


def test_a_sync_moves_the_order_while_another_process_writes(
    printshop: Printshop, meanwhile: WriterMeanwhile
) -> None:
    order_id = paid_order(printshop.app, "SF-BUSY0005")
    push(printshop.app)
    printshop.gelato.webhooks.drop_next(times=100)
    [part] = printshop.gelato.orders_for("SF-BUSY0005")
    printshop.gelato.advance(part["id"], "shipped")
    _use(printshop, meanwhile)
    result = sync(printshop.app, "SF-BUSY0005")
    assert result is not None and result.status_after == "shipped"
    with services(printshop.app).db.session_scope() as session:
        kinds = session.execute(
            select(OrderEvent.to_status).where(OrderEvent.order_id == order_id)
        ).scalars()
        assert "shipped" in list(kinds)
