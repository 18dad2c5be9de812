"""Status and tracking come back from Gelato by webhook, and by polling alone when every
webhook is lost; they only ever move forward and e-mail once per tracking code."""

from sqlalchemy import func, select

from storefront.container import services
from storefront.fulfillment.models import Parcel
from storefront.orders.links import order_path
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from tests.fulfillment_flow.conftest import TEE_L, Printshop, paid_order
from tests.support.services import open_orders, push, sync


def order(printshop: Printshop, order_id: int) -> Order:
    with services(printshop.app).db.session_scope() as session:
        return session.get_one(Order, order_id)


def shipped_mails(printshop: Printshop) -> int:
    with services(printshop.app).db.session_scope() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.key.like("order_shipped:%"))
            )
            or 0
        )


def gelato_id(printshop: Printshop, number: str) -> str:
    (g,) = printshop.gelato.orders_for(number)
    return g["id"]


def test_webhooks_move_the_order_and_tracking_reaches_the_page(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-HOOKS001")
    push(printshop.app)
    gid = gelato_id(printshop, "SF-HOOKS001")
    printshop.gelato.advance(gid, "in_production")
    assert order(printshop, order_id).status == "in_production"
    printshop.gelato.advance(gid, "shipped")
    assert order(printshop, order_id).status == "shipped"
    assert shipped_mails(printshop) == 1
    printshop.gelato.webhooks.duplicate_next(times=3, copies=3)
    printshop.gelato.advance(gid, "delivered")
    assert order(printshop, order_id).status == "delivered"
    assert shipped_mails(printshop) == 1  # one e-mail per tracking code, however many hooks

    client = printshop.app.test_client()
    with printshop.app.test_request_context():
        path = order_path("SF-HOOKS001")
    page = client.get(path).get_data(as_text=True)
    assert "Printed in" in page
    assert "track " in page
    with services(printshop.app).db.session_scope() as session:
        events = [
            (e.from_status, e.to_status)
            for e in session.get_one(Order, order_id).events
            if e.kind == "status"
        ]
    assert events[-3:] == [
        ("submitted", "in_production"),
        ("in_production", "shipped"),
        ("shipped", "delivered"),
    ]


def test_polling_alone_when_every_webhook_is_dropped(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-POLL0001")
    push(printshop.app)
    printshop.gelato.webhooks.drop_next(times=100)
    gid = gelato_id(printshop, "SF-POLL0001")
    printshop.gelato.advance(gid, "shipped")
    assert order(printshop, order_id).status == "submitted"
    assert open_orders(printshop.app) == ["SF-POLL0001"]
    for number in open_orders(printshop.app):
        sync(printshop.app, number, actor="job:fulfillment")
    assert order(printshop, order_id).status == "shipped"
    assert shipped_mails(printshop) == 1
    with services(printshop.app).db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Parcel)) == 1


def test_a_late_printed_never_overwrites_shipped(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-LATE0001")
    push(printshop.app)
    gid = gelato_id(printshop, "SF-LATE0001")
    printshop.gelato.webhooks.delay_next(times=10)
    printshop.gelato.advance(gid, "printed")
    printshop.gelato.advance(gid, "shipped")
    printshop.gelato.webhooks.deliver_pending(reverse=True)
    assert order(printshop, order_id).status == "shipped"
    # Gelato itself going "back" (a stale read) does not move us either
    from storefront.orders.states import OrderStatus as S
    from storefront.orders.states import fulfillment_step as next_status

    assert next_status(S.SHIPPED, S.IN_PRODUCTION) is None


def test_split_order_is_aggregated_per_item_and_parcels_merged(printshop: Printshop) -> None:
    poster = "flat_product_pf_a3_pt_200-gsm-poster-paper_cl_4-0_ver"
    order_id = paid_order(printshop.app, "SF-SPLIT001", extra_uid=poster)
    push(printshop.app)
    first, second = printshop.gelato.orders_for("SF-SPLIT001")
    printshop.gelato.advance(first["id"], "shipped")
    assert order(printshop, order_id).status == "submitted"  # the poster is not there yet
    printshop.gelato.advance(second["id"], "shipped")
    assert order(printshop, order_id).status == "shipped"
    with services(printshop.app).db.session_scope() as session:
        codes = session.execute(select(Parcel.tracking_code)).scalars().all()
    assert len(codes) == 2
    assert shipped_mails(printshop) == 2


def test_failed_at_gelato_needs_attention(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-FAIL0001", uid=TEE_L)
    push(printshop.app)
    printshop.gelato.advance(gelato_id(printshop, "SF-FAIL0001"), "failed")
    current = order(printshop, order_id)
    assert current.status == "needs_attention"
    assert "failed" in (current.attention_reason or "")


def test_webhook_with_a_wrong_secret_is_a_404(printshop: Printshop) -> None:
    client = printshop.app.test_client()
    resp = client.post(
        "/webhooks/gelato/wrong", json={"orderReferenceId": "SF-X", "event": "order_status_updated"}
    )
    assert resp.status_code == 404
    right_path_wrong_header = client.post(
        "/webhooks/gelato/gelato-hook-secret",
        json={"orderReferenceId": "SF-X"},
        headers={"signature": "nope"},
    )
    assert right_path_wrong_header.status_code == 404
