import pytest

from storefront.db import Database
from storefront.orders.models import Order
from storefront.orders.states import (
    ALLOWED,
    InvalidTransition,
    OrderStatus,
    is_backwards,
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
