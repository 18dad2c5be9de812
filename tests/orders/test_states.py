import pytest

from storefront.db import Database
from storefront.orders.models import Order
from storefront.orders.states import (
    ALLOWED,
    FULFILLMENT_RANK,
    InvalidTransition,
    OrderStatus,
    fulfillment_step,
    is_backwards,
    record_event,
    transition,
)


def _order(status: str = "pending_payment") -> Order:
    return Order(
        number="SF-TEST1",
        email="a@example.com",
        status=status,
        currency="EUR",
        subtotal_amount=2400,
        shipping_amount=495,
        total_amount=2895,
        shipping_address={"country": "DE"},
    )


def test_every_status_has_rules() -> None:
    assert set(ALLOWED) == set(OrderStatus)


def test_transition_writes_an_event_once(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        order = _order()
        session.add(order)
        session.flush()
        assert transition(session, order, "paid", actor="webhook:stripe", reason="evt_1")
        assert not transition(session, order, "paid", actor="webhook:stripe", reason="evt_1")
        assert order.paid_at is not None
    with db.session_scope() as session:
        stored = session.get(Order, order.id)
        assert stored is not None
        assert [(e.from_status, e.to_status, e.actor) for e in stored.events] == [
            ("pending_payment", "paid", "webhook:stripe")
        ]
    db.dispose()


def test_disallowed_transition_raises_and_changes_nothing() -> None:
    order = _order("shipped")

    class _Session:
        def add(self, _obj: object) -> None:
            raise AssertionError("nothing may be written")

    with pytest.raises(InvalidTransition):
        transition(_Session(), order, "pending_payment", actor="test")  # type: ignore[arg-type]
    assert order.status == "shipped"


def test_needs_attention_keeps_the_reason_until_resolved() -> None:
    order = _order("paid")

    class _Session:
        def add(self, _obj: object) -> None:
            pass

    transition(_Session(), order, "needs_attention", actor="worker", reason="bad address")  # type: ignore[arg-type]
    assert order.attention_reason == "bad address"
    transition(_Session(), order, "paid", actor="operator:1", reason="address fixed")  # type: ignore[arg-type]
    assert order.attention_reason is None


def test_fulfillment_never_goes_backwards() -> None:
    assert is_backwards("shipped", "in_production")
    assert is_backwards("delivered", "shipped")
    assert not is_backwards("submitted", "shipped")
    assert not is_backwards("needs_attention", "shipped")


# --- each rule of the table, one at a time (what mutation testing showed untested) --------
def test_a_refused_transition_says_which_order_and_which_move() -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(None, _order("paid"), "pending_payment", actor="t")  # type: ignore[arg-type]
    assert str(caught.value) == "order SF-TEST1: paid → pending_payment is not allowed"
    assert (caught.value.current, caught.value.target) == ("paid", "pending_payment")


def test_the_same_stage_is_not_backwards_and_unranked_statuses_never_are() -> None:
    for status in FULFILLMENT_RANK:
        assert not is_backwards(status, status)
    assert is_backwards(OrderStatus.SHIPPED, OrderStatus.SUBMITTED)
    assert not is_backwards(OrderStatus.SUBMITTED, OrderStatus.SHIPPED)
    assert not is_backwards(OrderStatus.CANCELLED, OrderStatus.PAID)
    assert not is_backwards(OrderStatus.SHIPPED, OrderStatus.CANCELLED)


@pytest.mark.parametrize(
    ("current", "reported", "moves_to"),
    [
        ("submitted", None, None),
        ("submitted", "submitted", None),
        ("submitted", "shipped", "shipped"),
        ("shipped", "in_production", None),
        ("cancelled", "shipped", None),  # only fulfillment stages move by the printer
        ("submitted", "cancelled", None),
        ("submitted", "needs_attention", "needs_attention"),
        ("needs_attention", "in_production", "in_production"),
    ],
)
def test_fulfillment_steps(current: str, reported: str | None, moves_to: str | None) -> None:
    target = OrderStatus(reported) if reported else None
    assert fulfillment_step(OrderStatus(current), target) == moves_to


def test_paid_at_is_set_once_and_only_when_paid(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        cancelled = _order()
        session.add(cancelled)
        session.flush()
        transition(session, cancelled, "cancelled", actor="t")
        assert cancelled.paid_at is None
        order = _order()
        order.number = "SF-TEST2"
        session.add(order)
        session.flush()
        transition(session, order, "paid", actor="t")
        first = order.paid_at
        transition(session, order, "needs_attention", actor="t", reason="odd")
        transition(session, order, "paid", actor="t")
        assert order.paid_at == first
    db.dispose()


def test_attention_reason_is_set_cleared_and_otherwise_kept(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        order = _order("paid")
        session.add(order)
        session.flush()
        transition(session, order, "needs_attention", actor="op", reason="address bounced")
        assert order.attention_reason == "address bounced"
        transition(session, order, "submitted", actor="op")
        assert order.attention_reason is None
        order.attention_reason = "a note from a late payment"
        transition(session, order, "in_production", actor="gelato")
        assert order.attention_reason == "a note from a late payment"
    db.dispose()


def test_events_keep_actor_reason_and_data(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        order = _order()
        session.add(order)
        session.flush()
        transition(session, order, "paid", actor="webhook", reason="evt_9", data={"pi": "pi_9"})
        transition(session, order, "submitted", actor="job")
        record_event(session, order, "tracking", actor="gelato", reason="code", data={"c": "1"})
        record_event(session, order, "note", actor="op")
        session.flush()
        rows = [
            (e.kind, e.from_status, e.to_status, e.actor, e.reason, e.data) for e in order.events
        ]
    assert rows == [
        ("status", "pending_payment", "paid", "webhook", "evt_9", {"pi": "pi_9"}),
        ("status", "paid", "submitted", "job", None, {}),
        ("tracking", None, None, "gelato", "code", {"c": "1"}),
        ("note", None, None, "op", None, {}),
    ]
    db.dispose()
