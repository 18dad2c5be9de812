"""Reading Gelato back, rule by rule: the slowest item decides the stage, trouble wins and
says which item, what Gelato says is recorded per Gelato order, a parcel's tracking link is
filled in when it arrives late, and an order Gelato or we do not know changes nothing."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storefront.container import services
from storefront.fulfillment.mapping import to_gelato_request
from storefront.fulfillment.models import GelatoOrderRecord, Parcel
from storefront.fulfillment.tracking import aggregate, delivery_of, open_order_numbers
from storefront.gelato.types import FulfillmentStatus as G
from storefront.gelato.types import GelatoOrder, GelatoOrderItem
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus as S
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.mail import mails
from tests.support.services import push, sync

POSTER = "flat_product_pf_a3_pt_200-gsm-poster-paper_cl_4-0_ver"


def gelato_order(gid: str, *items: G, status: G = G.CREATED) -> GelatoOrder:
    return GelatoOrder(
        id=gid,
        order_type="order",
        order_reference_id="SF-1",
        customer_reference_id="c",
        fulfillment_status=status,
        financial_status="paid",
        currency="EUR",
        items=tuple(
            GelatoOrderItem(f"i{n}", f"{gid}-ref{n}", "uid", 1, s) for n, s in enumerate(items)
        ),
        packages=(),
        shipment_method_uid=None,
        fulfillment_country="DE",
        connected_order_ids=(),
    )


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ([], (None, None)),
        ([gelato_order("a", G.SHIPPED, G.PRINTED)], (S.IN_PRODUCTION, None)),
        ([gelato_order("a", G.DELIVERED), gelato_order("b", G.IN_TRANSIT)], (S.SHIPPED, None)),
        ([gelato_order("a", G.CREATED, G.DELIVERED)], (S.SUBMITTED, None)),
        ([gelato_order("a", G.DELIVERED, G.DELIVERED)], (S.DELIVERED, None)),
        ([gelato_order("a", G.UNKNOWN)], (None, None)),
        ([gelato_order("a", G.CANCELED, G.SHIPPED)], (S.SHIPPED, None)),
        (
            [gelato_order("a", G.SHIPPED), gelato_order("b", G.PRINTED, G.FAILED)],
            (S.NEEDS_ATTENTION, "Gelato reports item b-ref1 failed"),
        ),
        (
            [gelato_order("a", G.ON_HOLD)],
            (S.NEEDS_ATTENTION, "Gelato reports item a-ref0 on_hold"),
        ),
        (
            [gelato_order("a", status=G.FAILED)],
            (S.NEEDS_ATTENTION, "Gelato order a is failed"),
        ),
        ([gelato_order("a", status=G.SHIPPED)], (None, None)),  # no items: nothing to rank
    ],
)
def test_the_slowest_item_decides_and_trouble_wins(
    orders: list[GelatoOrder], expected: tuple[S | None, str | None]
) -> None:
    assert aggregate(orders) == expected


def test_what_gelato_says_is_recorded_and_late_links_filled(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-TRACK001")
    push(printshop.app)
    [g] = printshop.gelato.orders_for("SF-TRACK001")
    printshop.gelato.webhooks.drop_next(times=100)  # the poll does all the work here
    printshop.gelato.advance(g["id"], "printed")
    result = sync(printshop.app, "SF-TRACK001")
    assert result is not None
    assert (result.status_before, result.status_after, result.new_parcels) == (
        "submitted",
        "in_production",
        [],
    )
    with services(printshop.app).db.session_scope() as session:
        record = session.execute(select(GelatoOrderRecord)).scalar_one()
        assert (record.order_id, record.gelato_order_id, record.status) == (
            order_id,
            g["id"],
            "printed",
        )
        assert record.fulfillment_country == "DE"
        [(item_ref, item_status)] = record.item_statuses.items()
        assert item_status == "printed"
        assert item_ref == g["items"][0]["itemReferenceId"]
        step = session.get_one(Order, order_id).events[-1]
        assert (step.to_status, step.actor, step.reason) == (
            "in_production",
            "job:fulfillment-status",
            "Gelato: printed",
        )
        delivery = delivery_of(session, order_id)  # printed where, before any parcel
        assert delivery is not None and (delivery.countries, delivery.parcels) == (["DE"], [])
    printshop.gelato.advance(g["id"], "shipped")
    [shipped] = printshop.gelato.orders_for("SF-TRACK001")
    [package] = shipped["shipment"]["packages"]
    with services(printshop.app).db.session_scope(write=True) as session:  # link not known yet
        session.add(
            Parcel(
                order_id=order_id,
                gelato_order_id=g["id"],
                tracking_code=package["trackingCode"],
                tracking_url=None,
            )
        )
    result = sync(printshop.app, "SF-TRACK001")
    assert result is not None and result.new_parcels == []  # known code: no second e-mail
    with services(printshop.app).db.session_scope() as session:
        parcel = session.execute(select(Parcel)).scalar_one()
        assert parcel.tracking_url == package["trackingUrl"]
        delivery = delivery_of(session, order_id)
        assert delivery is not None and delivery.countries == ["DE"]
        assert [p.tracking_code for p in delivery.parcels] == [package["trackingCode"]]
        assert session.get_one(Order, order_id).status == "shipped"


def test_nothing_changes_for_orders_nobody_knows(
    printshop: Printshop, caplog: pytest.LogCaptureFixture
) -> None:
    assert sync(printshop.app, "SF-NOBODY") is None  # Gelato has none by that number
    paid_order(printshop.app, "SF-KNOWN01")
    push(printshop.app)
    printshop.gelato.faults.fail_next("POST /v4/orders:search", status=500, times=5)
    with caplog.at_level(logging.WARNING, logger="storefront.fulfillment.tracking"):
        assert sync(printshop.app, "SF-KNOWN01") is None  # Gelato down: try next time
    [warning] = [r for r in caplog.records if r.name == "storefront.fulfillment.tracking"]
    message = warning.getMessage()  # what the operator reads: which order, and why
    assert message.startswith("could not read Gelato orders for SF-KNOWN01: ")
    assert "500" in message.removeprefix("could not read Gelato orders for SF-KNOWN01: ")
    with services(printshop.app).db.session_scope() as session:
        assert delivery_of(session, 999999) is None
    assert open_order_numbers(services(printshop.app).db) == ["SF-KNOWN01"]


def test_only_open_fulfillment_orders_are_polled(printshop: Printshop) -> None:
    first = paid_order(printshop.app, "SF-OPEN0001")
    second = paid_order(printshop.app, "SF-OPEN0002")
    assert open_order_numbers(services(printshop.app).db) == []  # paid, not yet at Gelato
    push(printshop.app)
    assert open_order_numbers(services(printshop.app).db) == ["SF-OPEN0001", "SF-OPEN0002"]
    with services(printshop.app).db.session_scope(write=True) as session:
        session.get_one(Order, second).status = "in_production"
    assert open_order_numbers(services(printshop.app).db) == ["SF-OPEN0001", "SF-OPEN0002"]
    with services(printshop.app).db.session_scope(write=True) as session:
        session.get_one(Order, first).status = "delivered"
    assert open_order_numbers(services(printshop.app).db) == ["SF-OPEN0002"]


def test_an_order_gelato_has_before_our_push_recorded_it(printshop: Printshop) -> None:
    """The push worker died after Gelato took the order: a webhook (or the poll) records
    what Gelato says, and leaves the order paid for the next push to find."""
    order_id = paid_order(printshop.app, "SF-EARLY001")
    with services(printshop.app).db.session_scope() as session:
        request = to_gelato_request(session.get_one(Order, order_id), order_type="order")
    created = services(printshop.app).gelato.create_order(request)
    result = sync(printshop.app, "SF-EARLY001")
    assert result is not None and (result.status_before, result.status_after) == ("paid", "paid")
    with services(printshop.app).db.session_scope() as session:
        record = session.execute(select(GelatoOrderRecord)).scalar_one()
        assert (record.order_id, record.gelato_order_id, record.status) == (
            order_id,
            created.id,
            "created",
        )
        assert record.fulfillment_country == "DE"
        assert record.item_statuses == {i.item_reference_id: "created" for i in created.items}


def test_each_part_of_a_split_order_is_named_in_the_step(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-PARTS001", extra_uid=POSTER)
    push(printshop.app)
    printshop.gelato.webhooks.drop_next(times=100)
    first, second = printshop.gelato.orders_for("SF-PARTS001")
    printshop.gelato.advance(first["id"], "printed")
    printshop.gelato.advance(second["id"], "shipped")
    result = sync(printshop.app, "SF-PARTS001", actor="webhook:gelato")
    assert result is not None and result.status_after == "in_production"  # the slower part
    with services(printshop.app).db.session_scope() as session:
        step = session.get_one(Order, order_id).events[-1]
        assert (step.to_status, step.actor, step.reason) == (
            "in_production",
            "webhook:gelato",
            "Gelato: printed, shipped",
        )


def test_a_tracking_code_another_order_has_still_reaches_this_shopper(
    printshop: Printshop,
) -> None:
    """Tracking codes are unique per carrier, not across carriers: a code one order already
    has gives another order its own parcel and its own e-mail all the same."""
    first = paid_order(printshop.app, "SF-CODE0001")
    second = paid_order(printshop.app, "SF-CODE0002")
    push(printshop.app)
    printshop.gelato.webhooks.drop_next(times=100)
    for number in ("SF-CODE0001", "SF-CODE0002"):
        [g] = printshop.gelato.orders_for(number)
        printshop.gelato.advance(g["id"], "shipped")
        g["shipment"]["packages"][0]["trackingCode"] = "1Z999AA10123456784"
    for number in ("SF-CODE0001", "SF-CODE0002"):
        result = sync(printshop.app, number)
        assert result is not None and result.new_parcels == ["1Z999AA10123456784"]
    with services(printshop.app).db.session_scope() as session:
        parcels = session.execute(select(Parcel.order_id, Parcel.tracking_code)).all()
        assert sorted(tuple(p) for p in parcels) == [
            (first, "1Z999AA10123456784"),
            (second, "1Z999AA10123456784"),
        ]
    shipped = mails(printshop.app, "order_shipped")
    assert sorted(m.subject for m in shipped) == [
        "Your order SF-CODE0001 is on its way",
        "Your order SF-CODE0002 is on its way",
    ]


def test_a_parcels_link_stays_the_one_the_shopper_was_sent(printshop: Printshop) -> None:
    """A link is filled in when it arrives late, never replaced: the order page keeps the
    link the shipping e-mail gave, whatever a later read of Gelato says."""
    order_id = paid_order(printshop.app, "SF-LINK0001")
    push(printshop.app)
    printshop.gelato.webhooks.drop_next(times=100)
    [part] = printshop.gelato.orders_for("SF-LINK0001")
    printshop.gelato.advance(part["id"], "shipped")
    [package] = part["shipment"]["packages"]
    sent = package["trackingUrl"]
    assert sync(printshop.app, "SF-LINK0001") is not None
    [mail] = mails(printshop.app, "order_shipped")
    assert f"Track your parcel: {sent} " in mail.text
    package["trackingUrl"] = "https://track.example-carrier.test/other"
    result = sync(printshop.app, "SF-LINK0001")
    assert result is not None and result.new_parcels == []
    with services(printshop.app).db.session_scope() as session:
        delivery = delivery_of(session, order_id)
        assert delivery is not None
        assert [p.tracking_url for p in delivery.parcels] == [sent]
