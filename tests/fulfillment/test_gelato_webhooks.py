"""Status changes emit Gelato's webhooks with Gelato's fields and the static secret header."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from emulators.common import wsgi_sender
from emulators.gelato import GelatoEmulator
from storefront.gelato.types import FulfillmentStatus, GelatoItemRequest
from tests.fulfillment.conftest import API_KEY, FILES, POSTER, TEE, make_client, order_request


class Receiver:
    """A shop-side endpoint that records deliveries; can be told to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.fail_next = 0

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.fail_next:
            self.fail_next -= 1
            return Response("down", status=503)(environ, start_response)
        self.received.append((dict(request.headers), json.loads(request.get_data())))
        return Response("", status=204)(environ, start_response)

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        return [body for _, body in self.received if name is None or body["event"] == name]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def emulator(receiver: Receiver) -> GelatoEmulator:
    return GelatoEmulator(
        api_key=API_KEY,
        webhook_url="http://shop.test/webhooks/gelato/s3cret-path",
        webhook_header_name="X-Webhook-Secret",
        webhook_header_value="hush",
        webhook_sender=wsgi_sender(receiver),
        webhook_retry_delay=0,
        hold_webhooks=True,
    )


def test_shipping_emits_status_item_and_tracking_events(client, emulator, receiver) -> None:
    order = client.create_order(order_request("SF-W"))
    emulator.advance(order.id, "shipped")
    assert emulator.webhooks.deliver_pending() == 3
    headers, status = next((h, b) for h, b in receiver.received if b["event"].startswith("order_s"))
    assert headers["X-Webhook-Secret"] == "hush"
    assert status["id"].startswith("os_")
    assert status["orderId"] == order.id
    assert status["orderReferenceId"] == "SF-W"
    assert status["storeId"] is None
    assert status["fulfillmentStatus"] == "shipped"
    [item] = status["items"]
    assert item["itemReferenceId"] == "SF-W-1"
    assert item["fulfillmentStatus"] == "shipped"
    [fulfillment] = item["fulfillments"]
    assert fulfillment["trackingCode"].startswith("GEL")
    assert fulfillment["trackingUrl"].endswith(fulfillment["trackingCode"])
    assert fulfillment["fulfillmentCountry"] == "DE"
    assert fulfillment["shipmentMethodUid"] == "dhl_global_parcel"

    [item_event] = receiver.events("order_item_status_updated")
    assert item_event["id"].startswith("is_")
    assert (item_event["status"], item_event["itemReferenceId"]) == ("shipped", "SF-W-1")
    assert item_event["created"]
    [tracking] = receiver.events("order_item_tracking_code_updated")
    assert tracking["id"].startswith("tc_")
    assert tracking["trackingCode"] == fulfillment["trackingCode"]
    assert tracking["orderReferenceId"] == "SF-W"

    fetched = client.get_order(order.id)
    assert fetched.packages[0].tracking_code == fulfillment["trackingCode"]
    assert fetched.fulfillment_status is FulfillmentStatus.SHIPPED


def test_item_level_advance_moves_the_order_by_its_least_advanced_item(client, emulator) -> None:
    request = order_request(
        "SF-I",
        items=(GelatoItemRequest("a", TEE, FILES), GelatoItemRequest("b", TEE, FILES)),
    )
    order = client.create_order(request)
    emulator.advance(order.id, "printed", item_reference_id="a")
    events = emulator.events
    # Only the item moved: the order (aggregate of a=printed, b=created) is unchanged.
    assert [e["event"] for e in events] == ["order_item_status_updated"]
    assert client.get_order(order.id).fulfillment_status is FulfillmentStatus.CREATED
    emulator.advance(order.id, "printed", item_reference_id="b")
    assert emulator.events[-1]["event"] == "order_status_updated"
    assert emulator.events[-1]["fulfillmentStatus"] == "printed"


def test_unknown_item_reference_is_an_error(client, emulator) -> None:
    order = client.create_order(order_request())
    with pytest.raises(KeyError):
        emulator.advance(order.id, "printed", item_reference_id="nope")


def test_dropped_duplicated_and_reordered_deliveries(client, emulator, receiver) -> None:
    order = client.create_order(order_request("SF-X"))
    emulator.webhooks.drop_next(1)  # the first item event is lost
    emulator.advance(order.id, "passed")
    emulator.webhooks.duplicate_next(1)
    emulator.advance(order.id, "in_production")
    emulator.webhooks.deliver_pending(reverse=True)
    names = [(b["event"], b.get("status") or b.get("fulfillmentStatus")) for b in receiver.events()]
    assert names == [
        ("order_status_updated", "in_production"),
        ("order_item_status_updated", "in_production"),
        ("order_item_status_updated", "in_production"),
        ("order_status_updated", "passed"),
    ]
    assert len(emulator.events) == 4
    dropped = [a for a in emulator.webhooks.attempts if not a.ok]
    assert [a.event_id for a in dropped] == [emulator.events[0]["id"]]
    assert emulator.webhooks.retry_failed() == 1  # the shop can get it later, like a resend
    assert receiver.events()[-1]["id"] == emulator.events[0]["id"]


def test_failed_deliveries_are_retried_three_times_then_given_up(
    client, emulator, receiver
) -> None:
    order = client.create_order(order_request())
    emulator.advance(order.id, "passed")  # item + order event
    receiver.fail_next = 2
    emulator.webhooks.deliver_pending()  # first event succeeds on Gelato's 3rd try
    assert len(receiver.received) == 2
    receiver.fail_next = 3
    emulator.advance(order.id, "printed")
    emulator.webhooks.deliver_pending()  # first event: 3 tries, all fail → given up
    assert len(receiver.received) == 3
    outcomes = [a.ok for a in emulator.webhooks.attempts]
    assert outcomes == [True, True, False, True]


def test_simulated_clock_moves_orders_one_step_per_interval(client, emulator) -> None:
    order = client.create_order(order_request())
    assert emulator.tick(59) == 0
    assert emulator.tick(1) == 1
    assert client.get_order(order.id).fulfillment_status is FulfillmentStatus.PASSED
    emulator.tick(60 * 10)
    assert client.get_order(order.id).fulfillment_status is FulfillmentStatus.DELIVERED
    assert emulator.tick(600) == 0


def test_advance_all_moves_every_open_order_one_step(client, emulator) -> None:
    a = client.create_order(order_request("SF-1"))
    b = client.create_order(order_request("SF-2"))
    client.cancel_order(b.id)
    assert emulator.advance_all() == 1
    assert client.get_order(a.id).fulfillment_status is FulfillmentStatus.PASSED
    assert client.get_order(b.id).fulfillment_status is FulfillmentStatus.CANCELED


def test_control_api_advances_and_delivers(client, emulator, receiver) -> None:
    order = client.create_order(order_request("SF-C"))
    with httpx.Client(transport=httpx.WSGITransport(app=emulator)) as http:
        response = http.post(
            "http://g/_emulator/commands/advance",
            json={"order_id": order.id, "status": "printed"},
        )
        assert response.json()["result"] == {"id": order.id, "fulfillmentStatus": "printed"}
        delivered = http.post("http://g/_emulator/webhooks/deliver", json={})
    assert delivered.json() == {"delivered": 2}
    assert receiver.events("order_status_updated")[0]["fulfillmentStatus"] == "printed"


def test_split_orders_each_send_their_own_webhooks(emulator, receiver, sleeps) -> None:
    client = make_client(emulator, sleeps)
    request = order_request(
        "SF-S", items=(GelatoItemRequest("t", TEE, FILES), GelatoItemRequest("p", POSTER, FILES))
    )
    first = client.create_order(request)
    emulator.advance(first.id, "shipped")
    emulator.advance(first.connected_order_ids[0], "printed")
    emulator.webhooks.deliver_pending()
    statuses = receiver.events("order_status_updated")
    assert {s["orderId"] for s in statuses} == {first.id, first.connected_order_ids[0]}
    assert {s["orderReferenceId"] for s in statuses} == {"SF-S"}


def test_webhooks_go_out_at_once_and_the_shop_may_refetch_the_order(sleeps) -> None:
    """Default delivery is synchronous; the handler re-reading the order must not deadlock."""
    seen: list[tuple[str, str]] = []
    emulator: GelatoEmulator

    def shop(environ, start_response):
        event = json.loads(Request(environ).get_data())
        with httpx.Client(transport=httpx.WSGITransport(app=emulator)) as http:
            order = http.get(
                f"http://g/v4/orders/{event['orderId']}", headers={"X-API-KEY": API_KEY}
            ).json()
        seen.append((event["event"], order["fulfillmentStatus"]))
        return Response("", status=200)(environ, start_response)

    emulator = GelatoEmulator(
        api_key=API_KEY, webhook_url="http://shop/h", webhook_sender=wsgi_sender(shop)
    )
    client = make_client(emulator, sleeps)
    order = client.create_order(order_request())
    client.cancel_order(order.id)
    assert seen == [
        ("order_item_status_updated", "canceled"),
        ("order_status_updated", "canceled"),
    ]
