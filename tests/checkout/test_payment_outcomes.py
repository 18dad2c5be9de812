import pytest
from sqlalchemy import func, select

from storefront.checkout import services as checkout
from storefront.checkout.shipping import table_options
from storefront.db import Database
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from storefront.payments import confirmation as payments
from storefront.payments.models import Payment
from storefront.stock import services as stock
from tests.checkout.fakes import LIMITED, Catalog, details
from tests.checkout.test_place_order import cart_with

LINK = "http://shop.test/orders/SF-1?t=signed"


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def order_id(db: Database) -> int:
    token = cart_with(db, LIMITED, 2)
    placed = checkout.place_order(
        db,
        cart_token=token,
        details=details(),
        offers=Catalog(LIMITED),
        shipping_options=table_options("DE", "EUR"),
    )
    with db.session_scope() as session:
        payments.record_attempt(session, session.get_one(Order, placed.order_id), "stripe", "cs_1")
    return placed.order_id


def facts(amount: int = 2 * 2900 + 495) -> payments.PaymentFacts:
    return payments.PaymentFacts("stripe", "cs_1", "pi_1", amount, "eur")


def counts(db: Database) -> dict[str, int]:
    with db.session_scope() as session:
        rows = session.execute(select(OutboxEntry.topic, func.count()).group_by(OutboxEntry.topic))
        return dict(rows.all())  # type: ignore[arg-type]


def test_confirm_twenty_times_is_one_confirmation(db: Database, order_id: int) -> None:
    outcomes = []
    for _ in range(20):
        with db.session_scope(write=True) as session:
            outcomes.append(
                payments.confirm_paid(session, order_id, facts(), actor="webhook", order_link=LINK)
            )
    assert outcomes == ["confirmed"] + ["already"] * 19
    assert counts(db) == {"gelato.push": 1, "email": 1}
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "paid"
        assert [e.to_status for e in order.events if e.kind == "status"] == ["paid"]
        payment = session.execute(select(Payment)).scalar_one()
        assert (payment.status, payment.provider_payment_id) == ("paid", "pi_1")
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 3


def test_late_failure_never_undoes_a_payment(db: Database, order_id: int) -> None:
    with db.session_scope(write=True) as session:
        payments.confirm_paid(session, order_id, facts(), actor="webhook", order_link=LINK)
    with db.session_scope(write=True) as session:
        assert not payments.mark_failed(
            session, order_id, facts(), actor="webhook", reason="declined"
        )
        assert not payments.expire_order(session, order_id, actor="job", reason="expired")
    with db.session_scope() as session:
        assert session.get_one(Order, order_id).status == "paid"


def test_failure_releases_stock_and_tells_the_shopper(db: Database, order_id: int) -> None:
    with db.session_scope(write=True) as session:
        assert payments.mark_failed(
            session, order_id, facts(), actor="webhook", reason="card declined"
        )
    with db.session_scope() as session:
        assert session.get_one(Order, order_id).status == "payment_failed"
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 5
    assert counts(db) == {"email": 1}


def test_expiry_cancels_releases_and_reopens_the_cart(db: Database, order_id: int) -> None:
    with db.session_scope(write=True) as session:
        assert payments.expire_order(session, order_id, actor="stripe", reason="session expired")
        assert not payments.expire_order(session, order_id, actor="stripe", reason="again")
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "cancelled"
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 5
    assert counts(db) == {}


def test_wrong_amount_goes_to_an_operator(db: Database, order_id: int) -> None:
    with db.session_scope(write=True) as session:
        assert payments.confirm_paid(
            session, order_id, facts(amount=1), actor="webhook", order_link=LINK
        ) == ("attention")
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "needs_attention"
        assert "paid 1 eur" in (order.attention_reason or "")
    assert "gelato.push" not in counts(db)


def test_payment_after_expiry_is_flagged_not_fulfilled(db: Database, order_id: int) -> None:
    with db.session_scope(write=True) as session:
        payments.expire_order(session, order_id, actor="job", reason="expired")
    with db.session_scope(write=True) as session:
        assert (
            payments.confirm_paid(session, order_id, facts(), actor="webhook", order_link=LINK)
            == "attention"
        )
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "cancelled"
        assert "after the order was cancelled" in (order.attention_reason or "")
    assert "gelato.push" not in counts(db)
