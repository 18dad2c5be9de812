"""The push to Gelato, rule by rule: what each outcome counts and records, what the order,
its events and its outbox entry say afterwards, and that an operator's retry only applies
to a parked order."""

from __future__ import annotations

from sqlalchemy import select

from storefront.container import services
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.fulfillment.push import TOPIC, PushReport, retry_parked
from storefront.gelato.client import GelatoClient
from storefront.gelato.types import GelatoOrder, GelatoOrderRequest
from storefront.http_retry import RetryPolicy
from storefront.orders.models import Order, OrderEvent, OrderItem
from storefront.outbox.models import OutboxEntry
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.services import push, use_gelato
from tests.support.timing import ANSWERED_TIMEOUT

POSTER = "flat_product_pf_a3_pt_200-gsm-poster-paper_cl_4-0_ver"


def entry(printshop: Printshop, number: str) -> tuple[str, str | None, int]:
    with services(printshop.app).db.session_scope() as session:
        row = session.execute(
            select(OutboxEntry).where(OutboxEntry.topic == TOPIC, OutboxEntry.key == number)
        ).scalar_one()
        return row.status, row.last_error, row.attempts


def order_of(printshop: Printshop, order_id: int) -> tuple[str, str | None]:
    with services(printshop.app).db.session_scope() as session:
        order = session.get_one(Order, order_id)
        return order.status, order.attention_reason


def events(printshop: Printshop, order_id: int) -> list[tuple[str, str | None, str, str | None]]:
    with services(printshop.app).db.session_scope() as session:
        return [
            (e.kind, e.to_status, e.actor, e.reason)
            for e in session.execute(
                select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
            ).scalars()
        ]


def test_the_report_counts_each_outcome() -> None:
    report = PushReport(pushed=1, found=2, retried=3, parked=4, skipped=5)
    assert (report.items, report.failed) == (15, 7)
    assert (PushReport().items, PushReport().failed) == (0, 0)


def test_a_created_order_is_recorded_per_gelato_part(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHSPLIT", extra_uid=POSTER)
    report = push(printshop.app)
    assert (report.pushed, report.items, report.failed) == (1, 1, 0)
    parts = printshop.gelato.orders_for("SF-PUSHSPLIT")
    with services(printshop.app).db.session_scope() as session:
        records = session.execute(select(GelatoOrderRecord)).scalars().all()
        assert sorted(r.gelato_order_id for r in records) == sorted(p["id"] for p in parts)
        assert {r.order_id for r in records} == {order_id}
        assert sorted(r.fulfillment_country or "" for r in records) == ["DE", "NL"]
        assert all(r.status == "created" for r in records)
        items = {p["id"]: {i["itemReferenceId"]: "created" for i in p["items"]} for p in parts}
        assert {r.gelato_order_id: r.item_statuses for r in records} == items
    [submitted] = [e for e in events(printshop, order_id) if e[1] == "submitted"]
    assert submitted[2] == "worker:gelato"
    assert submitted[3] is not None and submitted[3].startswith("created: ")
    assert sorted(submitted[3].removeprefix("created: ").split(", ")) == sorted(items)
    assert entry(printshop, "SF-PUSHSPLIT")[:2] == ("done", None)


def test_an_order_no_longer_paid_is_skipped_and_noted(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHSKIP")
    gone_id = paid_order(printshop.app, "SF-PUSHGONE")
    with services(printshop.app).db.session_scope(write=True) as session:
        session.get_one(Order, order_id).status = "cancelled"
        session.delete(session.get_one(Order, gone_id))
    report = push(printshop.app)
    assert (report.skipped, report.pushed) == (2, 0)
    assert report.notes == [f"order {order_id}: cancelled; skip", f"order {gone_id}: gone; skip"]
    assert entry(printshop, "SF-PUSHSKIP")[0] == "done"
    assert entry(printshop, "SF-PUSHGONE")[0] == "done"
    assert printshop.gelato.orders_for("SF-PUSHSKIP") == []
    assert printshop.gelato.orders_for("SF-PUSHGONE") == []


def test_an_unprintable_order_is_parked_with_the_reason(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHNOUID")
    with services(printshop.app).db.session_scope(write=True) as session:
        item = session.execute(select(OrderItem).where(OrderItem.order_id == order_id)).scalar_one()
        item.product_uid = ""
    report = push(printshop.app)
    assert (report.parked, report.failed) == (1, 1)
    status, reason = order_of(printshop, order_id)
    assert status == "needs_attention"
    assert reason == "not printable: Compost Happens (M) has no Gelato productUid"
    assert entry(printshop, "SF-PUSHNOUID")[:2] == ("parked", reason)
    assert events(printshop, order_id)[-1] == ("status", "needs_attention", "worker:gelato", reason)


class CancelledWhileCalling(GelatoClient):
    """Gelato's client as the worker has it, while an operator cancels the order at the
    moment the worker calls Gelato (between its read of the order and its write)."""

    def __init__(self, printshop: Printshop, order_id: int) -> None:
        url = printshop.url
        super().__init__(
            api_key="k",
            order_base=url,
            product_base=url,
            shipment_base=url,
            timeout=ANSWERED_TIMEOUT,
            retry=RetryPolicy(attempts=2, base_delay=0.01),
        )
        self.db, self.order_id = services(printshop.app).db, order_id

    def create_order(self, request: GelatoOrderRequest) -> GelatoOrder:
        with self.db.session_scope(write=True) as session:
            session.get_one(Order, self.order_id).status = "cancelled"
        return super().create_order(request)


def test_a_refusal_for_an_order_that_moved_on_is_noted_not_a_transition(
    printshop: Printshop,
) -> None:
    """An operator cancelled (and refunded) while the push was under way: the refusal is an
    event on the order, which stays where it is; the entry is parked all the same."""
    order_id = paid_order(printshop.app, "SF-PUSHMOVED")
    services(printshop.app).gelato.close()
    use_gelato(printshop.app, CancelledWhileCalling(printshop, order_id))
    printshop.gelato.faults.fail_next("POST /v4/orders", status=400)
    report = push(printshop.app)
    assert (report.parked, report.pushed) == (1, 0)
    assert order_of(printshop, order_id) == ("cancelled", None)
    kind, to_status, actor, reason = events(printshop, order_id)[-1]
    assert (kind, to_status, actor) == ("fulfillment_refused", None, "worker:gelato")
    assert reason is not None and reason.startswith("Gelato refused the order: ")
    assert entry(printshop, "SF-PUSHMOVED")[:2] == ("parked", reason)


def test_an_operator_retry_queues_the_push_again(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHAGAIN", address_line1="")
    with services(printshop.app).db.session_scope(write=True) as session:
        session.get_one(Order, order_id).status = "needs_attention"
    with services(printshop.app).db.session_scope(write=True) as session:
        row = session.execute(select(OutboxEntry).where(OutboxEntry.topic == TOPIC)).scalar_one()
        row.payload = {"order_id": order_id}
    # push_one skips orders that are not paid, so park through the operator path instead:
    assert retry_parked(services(printshop.app).db, order_id, actor="operator:7") is True
    assert order_of(printshop, order_id)[0] == "paid"
    assert events(printshop, order_id)[-2:] == [
        ("status", "paid", "operator:7", "retry fulfillment"),
        ("fulfillment_retry", None, "operator:7", None),
    ]
    assert entry(printshop, "SF-PUSHAGAIN")[0] == "pending"
    report = push(printshop.app)  # the address is refused by Gelato: parked again
    assert report.parked == 1
    assert order_of(printshop, order_id)[0] == "needs_attention"


def test_retry_only_applies_to_a_parked_order(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHRETRY")
    db = services(printshop.app).db
    assert retry_parked(db, order_id, actor="operator:1") is False  # paid: nothing to retry
    assert retry_parked(db, 987654, actor="operator:1") is False
    with db.session_scope(write=True) as session:
        session.get_one(Order, order_id).status = "needs_attention"
        for row in session.execute(select(OutboxEntry).where(OutboxEntry.topic == TOPIC)).scalars():
            session.delete(row)  # the entry is gone (cleaned up): retry queues a new one
    assert retry_parked(db, order_id, actor="operator:1") is True
    with db.session_scope() as session:
        row = session.execute(select(OutboxEntry).where(OutboxEntry.topic == TOPIC)).scalar_one()
        assert (row.key, row.payload, row.status) == (
            "SF-PUSHRETRY",
            {"order_id": order_id},
            "pending",
        )
    assert push(printshop.app).pushed == 1


def test_a_failed_search_before_a_retry_waits_for_the_next_pass(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHSEARCH")
    printshop.gelato.faults.fail_next("POST /v4/orders", status=503, times=10)
    first = push(printshop.app)
    assert (first.retried, first.failed) == (1, 1)
    status, error, attempts = entry(printshop, "SF-PUSHSEARCH")
    assert status == "submitting" and attempts == 1 and error
    with services(printshop.app).db.session_scope(write=True) as session:
        row = session.execute(select(OutboxEntry).where(OutboxEntry.topic == TOPIC)).scalar_one()
        row.available_at = row.created_at  # due again now
    printshop.gelato.faults.clear()
    printshop.gelato.faults.fail_next("POST /v4/orders:search", status=500, times=10)
    creates = printshop.gelato.calls["create_order"]
    second = push(printshop.app)
    assert second.retried == 1
    error = entry(printshop, "SF-PUSHSEARCH")[1]
    assert error is not None and error.startswith("search before retry failed: ")
    assert printshop.gelato.calls["create_order"] == creates  # never created blind
    assert order_of(printshop, order_id)[0] == "paid"


def test_a_pass_hands_over_at_most_its_limit(printshop: Printshop) -> None:
    paid_order(printshop.app, "SF-LIMIT001")
    paid_order(printshop.app, "SF-LIMIT002")
    assert push(printshop.app, limit=1).pushed == 1
    assert entry(printshop, "SF-LIMIT001")[0] == "done"  # the oldest first
    assert entry(printshop, "SF-LIMIT002")[0] == "pending"
    assert push(printshop.app, limit=1).pushed == 1
    assert entry(printshop, "SF-LIMIT002")[0] == "done"


def test_a_shop_set_to_drafts_never_orders_a_print(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PUSHDRAFT")
    assert push(printshop.app, order_type="draft").pushed == 1
    [part] = printshop.gelato.orders_for("SF-PUSHDRAFT")
    assert part["orderType"] == "draft"
    assert order_of(printshop, order_id) == ("submitted", None)
