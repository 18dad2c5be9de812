"""Cancelling a paid order stops Gelato while it still can; once printed, the operator is
told (a 409 is reported, not swallowed) and nothing changes."""

import pytest

from storefront.container import services
from storefront.operations.orders import OperationError
from storefront.orders.models import Order
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.services import cancel_order, push


def test_cancel_before_printing_cancels_at_gelato(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-CANCEL01")
    push(printshop.app)
    notes = cancel_order(
        printshop.app, order_id, actor="operator:1", key="k1", reason="customer asked"
    )
    (gelato_order,) = printshop.gelato.orders_for("SF-CANCEL01")
    assert gelato_order["fulfillmentStatus"] == "canceled"
    assert any("cancelled" in n for n in notes)
    with services(printshop.app).db.session_scope() as session:
        assert session.get_one(Order, order_id).status == "cancelled"


def test_cancel_after_printing_is_refused_and_reported(printshop: Printshop) -> None:
    order_id = paid_order(printshop.app, "SF-CANCEL02")
    push(printshop.app)
    (gelato_order,) = printshop.gelato.orders_for("SF-CANCEL02")
    printshop.gelato.webhooks.drop_next(times=10)  # we have not heard yet: still "submitted"
    printshop.gelato.advance(gelato_order["id"], "printed")
    with pytest.raises(OperationError, match="already printed"):
        cancel_order(printshop.app, order_id, actor="operator:1", key="k2", reason="too late")
    with services(printshop.app).db.session_scope() as session:
        order = session.get_one(Order, order_id)
        assert order.status == "submitted"
        assert [e.kind for e in order.events][-1] == "cancel_refused"
