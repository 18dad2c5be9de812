"""The one path every payment messenger takes, rule by rule: attempts remembered per
provider and reference, confirmation once (and not when the payment was already seen paid),
pending and failed outcomes, and expiry that never cancels a paid order."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from storefront.checkout import services as checkout
from storefront.checkout.shipping import table_options
from storefront.db import Database
from storefront.orders.models import Order, OrderEvent
from storefront.outbox.models import OutboxEntry
from storefront.payments import confirmation as payments
from storefront.payments.models import Payment
from tests.checkout.fakes import TEE, Catalog, details
from tests.checkout.test_place_order import cart_with

LINK = "http://shop.test/orders/x?t=signed"
TOTAL = 2900 + 495
KEYS = itertools.count()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def place(db: Database) -> int:
    return checkout.place_order(
        db,
        cart_token=cart_with(db, TEE, 1),
        details=details(checkout_key=f"pay-{next(KEYS):016d}"),
        offers=Catalog(TEE),
        shipping_options=table_options("DE", "EUR"),
    ).order_id


def facts(ref: str = "cs_1", amount: int | None = TOTAL, currency: str | None = "eur", **kw):  # type: ignore[no-untyped-def]
    return payments.PaymentFacts(
        kw.get("provider", "stripe"), ref, kw.get("payment_id", "pi_1"), amount, currency
    )


def payments_of(db: Database, order_id: int) -> list[tuple[str, str, str, str | None, str | None]]:
    with db.session_scope() as session:
        rows = session.execute(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
        ).scalars()
        return [
            (p.provider, p.provider_ref, p.status, p.provider_payment_id, p.failure_reason)
            for p in rows
        ]


def last_event(db: Database, order_id: int) -> tuple[str, str | None, str, str | None, dict]:  # type: ignore[type-arg]
    with db.session_scope() as session:
        e = (
            session.execute(
                select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
            )
            .scalars()
            .all()[-1]
        )
        return (e.kind, e.to_status, e.actor, e.reason, e.data)


def status(db: Database, order_id: int) -> str:
    with db.session_scope() as session:
        return session.get_one(Order, order_id).status


def test_attempts_are_kept_per_provider_and_reference(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        order = session.get_one(Order, order_id)
        payments.note_attempt(session, order, "stripe", "cs_1")
        payments.note_attempt(session, order, "stripe", "cs_1")
        payments.record_attempt(session, order, "paypal", "cs_1")  # same ref, other provider
        payments.record_attempt(session, order, "paypal", "cs_1")
    assert payments_of(db, order_id) == [
        ("stripe", "cs_1", "open", None, None),
        ("paypal", "cs_1", "open", None, None),
    ]
    with db.session_scope() as session:
        amounts = {(p.amount, p.currency) for p in session.execute(select(Payment)).scalars()}
    assert amounts == {(TOTAL, "EUR")}


def test_approval_marks_only_that_open_attempt(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        order = session.get_one(Order, order_id)
        payments.record_attempt(session, order, "stripe", "cs_1")
        payments.record_attempt(session, order, "paypal", "cs_1")  # same ref, other provider
        payments.record_attempt(session, order, "stripe", "cs_2")  # same provider, other ref
        payments.record_attempt(session, order, "paypal", "PP-9").status = "paid"
    with db.session_scope(write=True) as session:
        payments.note_approved(session, "stripe", "cs_1")
        payments.note_approved(session, "paypal", "PP-9")  # a late approval never un-pays
    assert [p[:3] for p in payments_of(db, order_id)] == [
        ("stripe", "cs_1", "approved"),
        ("paypal", "cs_1", "open"),
        ("stripe", "cs_2", "open"),
        ("paypal", "PP-9", "paid"),
    ]


def test_confirmation_records_the_payment_the_event_and_the_mail(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        outcome = payments.confirm_paid(
            session, order_id, facts("cs_new"), actor="webhook:stripe", order_link=LINK
        )
    assert outcome == "confirmed"
    assert payments_of(db, order_id) == [("stripe", "cs_new", "paid", "pi_1", None)]
    assert last_event(db, order_id) == (
        "status",
        "paid",
        "webhook:stripe",
        "stripe cs_new",
        {"payment_id": "pi_1", "amount": TOTAL},
    )
    with db.session_scope() as session:
        mail = session.execute(
            select(OutboxEntry.payload).where(OutboxEntry.topic == "email")
        ).scalar_one()
    assert mail["context"]["link"] == LINK


def test_unknown_order_is_a_lookup_error_naming_it(db: Database) -> None:
    with db.session_scope(write=True) as session, pytest.raises(LookupError) as caught:
        payments.confirm_paid(session, 987654, facts(), actor="t", order_link=LINK)
    assert str(caught.value) == "order 987654 not found"


def test_a_payment_already_seen_paid_is_not_confirmed_again(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        payments.record_attempt(session, session.get_one(Order, order_id), "stripe", "cs_1")
    with db.session_scope(write=True) as session:
        session.execute(select(Payment)).scalar_one().status = "paid"
    with db.session_scope(write=True) as session:
        outcome = payments.confirm_paid(session, order_id, facts(), actor="t", order_link=LINK)
    assert outcome == "already"
    assert status(db, order_id) == "pending_payment"


@pytest.mark.parametrize(
    ("amount", "currency"), [(TOTAL - 1, "eur"), (TOTAL, "usd"), (TOTAL, None), (None, "eur")]
)
def test_a_wrong_sum_or_currency_is_parked(
    db: Database, amount: int | None, currency: str | None
) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        outcome = payments.confirm_paid(
            session, order_id, facts(amount=amount, currency=currency), actor="t", order_link=LINK
        )
    assert outcome == "attention"
    assert status(db, order_id) == "needs_attention"
    assert payments_of(db, order_id)[0][2] == "paid"


def test_pending_marks_only_open_or_approved_payments(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        assert payments.mark_pending(session, 424242, facts(), actor="t") is None  # no order
        payments.mark_pending(session, order_id, facts("cs_1"), actor="webhook")
        order = session.get_one(Order, order_id)
        payments.record_attempt(session, order, "paypal", "PP-2").status = "approved"
        payments.record_attempt(session, order, "paypal", "PP-3").status = "failed"
    with db.session_scope(write=True) as session:
        payments.mark_pending(
            session, order_id, facts("PP-2", provider="paypal", payment_id="CAP"), actor="job"
        )
        payments.mark_pending(session, order_id, facts("PP-3", provider="paypal"), actor="job")
    assert payments_of(db, order_id) == [
        ("stripe", "cs_1", "pending", "pi_1", None),
        ("paypal", "PP-2", "pending", "CAP", None),
        ("paypal", "PP-3", "failed", "pi_1", None),
    ]
    assert last_event(db, order_id) == ("payment_pending", None, "job", "PP-3", {})
    assert status(db, order_id) == "pending_payment"


def test_failure_is_recorded_unless_the_payment_was_seen_paid(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        assert payments.mark_failed(session, 31337, facts(), actor="t", reason="x") is False
        failed = payments.mark_failed(
            session, order_id, facts("cs_9"), actor="webhook", reason="card declined"
        )
    assert failed is True
    assert payments_of(db, order_id) == [("stripe", "cs_9", "failed", "pi_1", "card declined")]
    assert last_event(db, order_id)[:4] == ("status", "payment_failed", "webhook", "card declined")

    paid = place(db)
    with db.session_scope(write=True) as session:
        payments.confirm_paid(session, paid, facts("cs_p"), actor="t", order_link=LINK)
    with db.session_scope(write=True) as session:
        late = payments.mark_failed(session, paid, facts("cs_p"), actor="t", reason="late")
    assert late is False
    assert payments_of(db, paid)[0][2:] == ("paid", "pi_1", None)
    assert status(db, paid) == "paid"


def test_expiry_cancels_unpaid_orders_only(db: Database) -> None:
    mine, other = place(db), place(db)
    with db.session_scope(write=True) as session:
        payments.confirm_paid(session, other, facts("cs_o"), actor="t", order_link=LINK)
        order = session.get_one(Order, mine)
        for ref, state in [("a", "open"), ("b", "approved"), ("c", "pending"), ("d", "failed")]:
            payments.record_attempt(session, order, "stripe", ref).status = state
    with db.session_scope(write=True) as session:
        assert payments.expire_order(session, other, actor="job", reason="late") is False
        assert payments.expire_order(session, mine, actor="job", reason="timed out") is True
    assert [p[2] for p in payments_of(db, mine)] == ["expired", "expired", "expired", "failed"]
    assert status(db, mine) == "cancelled"
    assert last_event(db, mine)[:4] == ("status", "cancelled", "job", "timed out")
    assert status(db, other) == "paid"


def test_expiry_never_cancels_an_order_with_a_paid_attempt(db: Database) -> None:
    order_id = place(db)
    with db.session_scope(write=True) as session:
        order = session.get_one(Order, order_id)
        payments.record_attempt(session, order, "stripe", "a").status = "paid"
        payments.record_attempt(session, order, "stripe", "b").status = "open"
    with db.session_scope(write=True) as session:
        assert payments.expire_order(session, order_id, actor="job", reason="x") is False
    assert status(db, order_id) == "pending_payment"
    assert [p[2] for p in payments_of(db, order_id)] == ["paid", "open"]
