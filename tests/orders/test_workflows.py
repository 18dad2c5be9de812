"""What follows each fact about an order, consequence by consequence: the audit event with
its reason and data, the limited stock of *this* order, the printer's outbox entry, the
e-mail (recipient, key, every value it shows) and the cart."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from storefront.cart.models import Cart
from storefront.checkout import services as checkout
from storefront.checkout.shipping import table_options
from storefront.db import Database, utcnow
from storefront.orders import workflows
from storefront.orders.models import Order, OrderEvent
from storefront.orders.states import OrderStatus as S
from storefront.orders.states import transition
from storefront.outbox.models import OutboxEntry
from storefront.stock import services as stock
from storefront.stock.models import Reservation
from tests.checkout.fakes import LIMITED, Catalog, details
from tests.checkout.test_place_order import cart_with

LINK = "http://shop.test/orders/SF-1?t=signed"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


KEYS = itertools.count()


def place(db: Database, quantity: int = 2) -> int:
    placed = checkout.place_order(
        db,
        cart_token=cart_with(db, LIMITED, quantity),
        details=details(checkout_key=f"key-{next(KEYS):016d}"),
        offers=Catalog(LIMITED),
        shipping_options=table_options("DE", "EUR"),
    )
    return placed.order_id


def events(db: Database, order_id: int) -> list[tuple[str, str | None, str | None, dict]]:  # type: ignore[type-arg]
    with db.session_scope() as session:
        rows = session.execute(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        ).scalars()
        return [(e.kind, e.to_status, e.reason, e.data) for e in rows]


def outbox(db: Database, topic: str) -> list[tuple[str, dict[str, Any]]]:
    with db.session_scope() as session:
        rows = session.execute(
            select(OutboxEntry).where(OutboxEntry.topic == topic).order_by(OutboxEntry.id)
        ).scalars()
        return [(e.key, e.payload) for e in rows]


def reservations(db: Database, order_id: int) -> list[str]:
    with db.session_scope() as session:
        return list(
            session.execute(
                select(Reservation.status).where(Reservation.order_id == order_id)
            ).scalars()
        )


def cart_status(db: Database, order_id: int) -> str:
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.cart_id is not None
        return session.get_one(Cart, order.cart_id).status


def act(db: Database, order_id: int, step: Any) -> Any:
    with db.session_scope(write=True) as session:
        return step(session, session.get_one(Order, order_id))


def paid(db: Database, order_id: int) -> None:
    act(
        db,
        order_id,
        lambda s, o: workflows.order_paid(s, o, actor="w", reason="r", order_link=LINK),
    )


def test_order_paid_does_everything_once_for_this_order(db: Database) -> None:
    order_id, other = place(db), place(db, 1)
    act(
        db,
        order_id,
        lambda s, o: workflows.order_paid(
            s, o, actor="webhook:stripe", reason="evt_1", order_link=LINK, data={"pi": "pi_1"}
        ),
    )
    assert events(db, order_id)[-1] == ("status", "paid", "evt_1", {"pi": "pi_1"})
    assert reservations(db, order_id) == ["consumed"]
    assert reservations(db, other) == ["held"]  # another shopper's units stay held
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        number, email, paid_at = order.number, order.email, order.paid_at
        assert stock.left(session, LIMITED.product_id, LIMITED.variant_key) == 5 - 2 - 1
    assert paid_at is not None
    assert outbox(db, workflows.FULFILMENT_TOPIC) == [(number, {"order_id": order_id})]
    [(key, mail)] = outbox(db, "email")
    assert key == f"order_confirmation:{number}"
    assert mail == {
        "template": "order_confirmation",
        "to": email,
        "context": {
            "number": number,
            "link": LINK,
            "total": "€62.95",
            "shipping": "Standard (3–6 working days)",
            "shipping_amount": "€4.95",
            "address": ["Ada Lovelace", "Kastanienallee 1", "10435 Berlin", "Germany"],
            "invoice_number": f"INV-{utcnow().year}-000001",
            "invoice_link": "http://shop.test/orders/SF-1/invoice.pdf?t=signed",
            "vat": ["Includes VAT 19%: €10.05 (net €52.90)"],
            "items": [
                {
                    "title": "Last Of Its Kind",
                    "size": "L",
                    "colour": "Bone",
                    "quantity": 2,
                    "amount": "€58.00",
                }
            ],
        },
    }
    assert cart_status(db, order_id) == "converted"


def test_a_doubtful_payment_is_paid_then_parked_with_the_reason(db: Database) -> None:
    order_id = place(db)
    act(db, order_id, lambda s, o: workflows.payment_doubtful(s, o, actor="job", reason="€1 short"))
    assert [e[1:3] for e in events(db, order_id) if e[0] == "status"][-2:] == [
        ("paid", "payment received"),
        ("needs_attention", "€1 short"),
    ]
    assert reservations(db, order_id) == ["consumed"]
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert (order.status, order.attention_reason) == ("needs_attention", "€1 short")
    assert outbox(db, "email") == [] and outbox(db, workflows.FULFILMENT_TOPIC) == []


def test_money_after_a_cancellation_is_noted_not_acted_on(db: Database) -> None:
    order_id = place(db)
    act(db, order_id, lambda s, o: workflows.order_cancelled(s, o, actor="shopper", reason="x"))
    act(db, order_id, lambda s, o: workflows.payment_doubtful(s, o, actor="job", reason="late"))
    assert events(db, order_id)[-1] == ("payment_after_close", None, "late", {})
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert (order.status, order.attention_reason) == ("cancelled", "late")


def test_payment_failed_releases_this_orders_units_and_says_why(db: Database) -> None:
    order_id, other = place(db), place(db, 1)
    failed = act(
        db, order_id, lambda s, o: workflows.payment_failed(s, o, actor="webhook", reason="card")
    )
    assert failed is True
    assert events(db, order_id)[-1][:3] == ("status", "payment_failed", "card")
    assert reservations(db, order_id) == ["released"]
    assert reservations(db, other) == ["held"]
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        number, email = order.number, order.email
    assert outbox(db, "email") == [
        (
            f"payment_failed:{number}",
            {
                "template": "payment_failed",
                "to": email,
                "context": {"number": number, "reason": "card"},
            },
        )
    ]
    again = act(db, order_id, lambda s, o: workflows.payment_failed(s, o, actor="w", reason="y"))
    assert again is False
    assert len(outbox(db, "email")) == 1


def test_payment_failed_does_nothing_to_a_paid_order(db: Database) -> None:
    order_id = place(db)
    act(db, order_id, lambda s, o: transition(s, o, S.PAID, actor="test"))
    result = act(db, order_id, lambda s, o: workflows.payment_failed(s, o, actor="w", reason="y"))
    assert result is False
    assert reservations(db, order_id) == ["held"]
    assert outbox(db, "email") == []


def test_cancelling_an_unpaid_order_gives_the_cart_back(db: Database) -> None:
    order_id = place(db)
    act(db, order_id, lambda s, o: workflows.payment_failed(s, o, actor="w", reason="card"))
    with db.session_scope(write=True) as session:  # the cart was converted when it was placed
        order = session.get_one(Order, order_id)
        session.get_one(Cart, order.cart_id).status = "converted"
    act(db, order_id, lambda s, o: workflows.order_cancelled(s, o, actor="op", reason="asked"))
    assert events(db, order_id)[-1][:3] == ("status", "cancelled", "asked")
    assert cart_status(db, order_id) == "open"
    assert reservations(db, order_id) == ["released"]


def test_cancelling_a_paid_order_keeps_the_cart_closed(db: Database) -> None:
    order_id = place(db)
    act(
        db,
        order_id,
        lambda s, o: workflows.order_paid(s, o, actor="w", reason="r", order_link=LINK),
    )
    act(db, order_id, lambda s, o: workflows.order_cancelled(s, o, actor="op", reason="asked"))
    assert cart_status(db, order_id) == "converted"
    assert reservations(db, order_id) == ["consumed"]  # sold units are not put back


def test_a_partial_refund_is_recorded_and_mailed_and_the_order_stays(db: Database) -> None:
    order_id = place(db)
    act(
        db,
        order_id,
        lambda s, o: workflows.order_paid(s, o, actor="w", reason="r", order_link=LINK),
    )
    act(
        db,
        order_id,
        lambda s, o: workflows.order_refunded(
            s, o, 500, actor="op", reason="stain", refund_key="re_1", order_link=LINK,
            data={"refund": "re_1"},
        ),
    )  # fmt: skip
    assert events(db, order_id)[-1] == (
        "refunded",
        None,
        "stain",
        {"amount": 500, "refund": "re_1", "credit_note": f"CN-{utcnow().year}-000001"},
    )
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert (order.status, order.refunded_amount) == ("paid", 500)
        number, email = order.number, order.email
    assert outbox(db, "email")[-1] == (
        f"order_refunded:{number}:re_1",
        {
            "template": "order_refunded",
            "to": email,
            "context": {"number": number, "amount": "€5.00", "link": LINK},
        },
    )


def test_a_full_refund_moves_the_order_only_where_the_table_allows(db: Database) -> None:
    order_id = place(db)
    act(
        db,
        order_id,
        lambda s, o: workflows.order_paid(s, o, actor="w", reason="r", order_link=LINK),
    )
    act(
        db, order_id,
        lambda s, o: workflows.order_refunded(
            s, o, 6000, actor="op", reason=None, refund_key="re_1", order_link=LINK
        ),
    )  # fmt: skip
    with db.session_scope() as session:
        assert session.get_one(Order, order_id).status == "paid"  # 60.00 of 62.95
    act(
        db, order_id,
        lambda s, o: workflows.order_refunded(
            s, o, 295, actor="op", reason=None, refund_key="re_2", order_link=LINK
        ),
    )  # fmt: skip
    assert events(db, order_id)[-1] == ("status", "refunded", "refunded in full", {})
    assert events(db, order_id)[-2] == (
        "refunded",
        None,
        None,
        {"amount": 295, "credit_note": f"CN-{utcnow().year}-000002"},
    )

    shipped = place(db)
    act(
        db, shipped, lambda s, o: workflows.order_paid(s, o, actor="w", reason="r", order_link=LINK)
    )
    act(db, shipped, lambda s, o: transition(s, o, S.SUBMITTED, actor="t"))
    act(
        db, shipped,
        lambda s, o: workflows.order_refunded(
            s, o, 6295, actor="op", reason=None, refund_key="re_3", order_link=LINK
        ),
    )  # fmt: skip
    with db.session_scope() as session:
        order = session.get_one(Order, shipped)
        assert (order.status, order.refunded_amount) == ("submitted", 6295)


def test_cancelling_a_paid_order_tells_the_shopper_what_was_cancelled(db: Database) -> None:
    order_id = place(db)
    paid(db, order_id)
    act(
        db,
        order_id,
        lambda s, o: workflows.order_cancelled(s, o, actor="op", reason="asked", order_link=LINK),
    )
    with db.session_scope() as session:
        order = session.get_one(Order, order_id)
        number, email = order.number, order.email
    cancelled = [(k, m) for k, m in outbox(db, "email") if m["template"] == "order_cancelled"]
    assert cancelled == [
        (
            f"order_cancelled:{number}",
            {
                "template": "order_cancelled",
                "to": email,
                "context": {"number": number, "total": "€62.95", "paid": True, "link": LINK},
            },
        )
    ]


def test_a_cancellation_mail_without_a_link_says_none(db: Database) -> None:
    order_id = place(db)
    paid(db, order_id)
    act(db, order_id, lambda s, o: workflows.order_cancelled(s, o, actor="op", reason="asked"))
    [mail] = [m for _, m in outbox(db, "email") if m["template"] == "order_cancelled"]
    assert mail["context"]["link"] == ""


def test_cancelling_again_still_puts_held_units_back(db: Database) -> None:
    order_id, other = place(db), place(db, 1)
    act(db, order_id, lambda s, o: workflows.order_cancelled(s, o, actor="op", reason="asked"))
    with db.session_scope(write=True) as session:  # units held again for this order somehow
        for row in session.execute(
            select(Reservation).where(Reservation.order_id == order_id)
        ).scalars():
            row.status = "held"
    act(db, order_id, lambda s, o: workflows.order_cancelled(s, o, actor="op", reason="again"))
    assert reservations(db, order_id) == ["released"]
    assert reservations(db, other) == ["held"]
    assert [e[1] for e in events(db, order_id) if e[0] == "status"].count("cancelled") == 1


def test_an_address_is_written_as_on_an_envelope() -> None:
    full = {
        "first_name": " Ada ",
        "last_name": "Lovelace",
        "company_name": "Analytical Engines Ltd",
        "address_line1": "1 Engine Row",
        "address_line2": "Flat 2",
        "post_code": "90210",
        "city": "Beverly Hills",
        "state": "CA",
        "country": "US",
    }
    assert workflows.address_lines(full) == [
        "Ada Lovelace",
        "Analytical Engines Ltd",
        "1 Engine Row",
        "Flat 2",
        "90210 Beverly Hills, CA",
        "United States",
    ]
    sparse = {"last_name": "Lovelace", "address_line2": None, "city": "Berlin", "country": "DE"}
    assert workflows.address_lines(sparse) == ["Lovelace", "Berlin", "Germany"]
    assert workflows.address_lines({"first_name": "Ada", "post_code": "10435"}) == [
        "Ada",
        "10435",
    ]
    assert workflows.address_lines({}) == []


def test_the_invoice_names_the_buyer_from_the_delivery_address() -> None:
    order = Order(
        number="SF-BUYER01",
        email="ada@example.com",
        currency="EUR",
        shipping_amount=495,
        shipping_address={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address_line1": "Kastanienallee 1",
            "address_line2": "Hinterhaus",
            "post_code": "10435",
            "city": "Berlin",
            "country": "DE",
        },
        items=[],
    )
    assert workflows.sale_of(order).buyer == [
        "Ada Lovelace",
        "Kastanienallee 1",
        "Hinterhaus",
        "10435 Berlin",
        "DE",
        "ada@example.com",
    ]
    order.shipping_address = {"last_name": "Lovelace"}
    assert workflows.sale_of(order).buyer == ["Lovelace", "ada@example.com"]
    order.shipping_address = {"first_name": "Ada"}
    assert workflows.sale_of(order).buyer == ["Ada", "ada@example.com"]
    order.shipping_address = None
    assert workflows.sale_of(order).buyer == ["ada@example.com"]
