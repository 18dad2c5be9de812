"""Orders through the real client against the emulator: create, read, search, cancel, split."""

from __future__ import annotations

import pytest

from emulators.gelato import GelatoEmulator
from storefront.gelato.client import GelatoClient
from storefront.gelato.errors import (
    GelatoAuthError,
    GelatoNotFound,
    GelatoPermanentError,
    OrderAlreadyInProduction,
)
from storefront.gelato.types import FulfillmentStatus, GelatoItemRequest
from tests.fulfillment.conftest import (
    FILES,
    POSTER,
    TEE,
    TEE_L,
    address,
    make_client,
    order_request,
)


def test_create_then_get_returns_the_same_typed_order(client: GelatoClient) -> None:
    created = client.create_order(order_request("SF-1001"))
    assert created.order_reference_id == "SF-1001"
    assert created.customer_reference_id == "cust-7"
    assert created.fulfillment_status is FulfillmentStatus.CREATED
    assert created.financial_status == "to_be_invoiced"
    assert created.connected_order_ids == ()
    assert created.fulfillment_country == "DE"
    [item] = created.items
    assert (item.item_reference_id, item.product_uid, item.quantity) == ("SF-1001-1", TEE, 2)
    fetched = client.get_order(created.id)
    assert fetched == created


def test_the_request_carries_gelato_field_names(client, emulator: GelatoEmulator) -> None:
    client.create_order(order_request("SF-1", shipment_method_uid="express"))
    [stored] = emulator.orders_for("SF-1")
    assert stored["shippingAddress"]["addressLine1"] == "1 Cemetery Lane"
    assert stored["items"][0]["files"] == [{"type": "default", "url": FILES[0].url}]
    # "express" is a service type: Gelato picks a carrier of that type
    assert stored["shipment"]["shipmentMethodUid"] == "dhl_express_worldwide"


def test_draft_orders_stay_drafts_and_do_not_move(client, emulator) -> None:
    draft = client.create_order(order_request("SF-D", order_type="draft"))
    assert draft.order_type == "draft"
    assert draft.fulfillment_status is FulfillmentStatus.DRAFT
    assert draft.financial_status == "draft"
    assert emulator.advance_all() == 0
    with pytest.raises(ValueError, match="drafts"):
        emulator.advance(draft.id, "printed")


def test_get_unknown_order_is_not_found(client) -> None:
    with pytest.raises(GelatoNotFound) as caught:
        client.get_order("no-such-order")
    assert caught.value.status_code == 404


def test_wrong_api_key_is_a_permanent_auth_error(emulator, sleeps) -> None:
    bad = make_client(emulator, sleeps, key="wrong")
    with pytest.raises(GelatoAuthError) as caught:
        bad.get_order("x")
    assert caught.value.body["code"] == "invalid_api_key_provided"
    assert emulator.calls["get_order"] == 1  # 4xx is never retried


def test_unknown_product_is_refused_with_gelatos_message(client, emulator) -> None:
    request = order_request(items=(GelatoItemRequest("i1", "apparel_made_up_uid", FILES),))
    with pytest.raises(GelatoPermanentError) as caught:
        client.create_order(request)
    assert caught.value.status_code == 400
    assert "apparel_made_up_uid" in caught.value.message
    assert caught.value.body["details"][0]["reference"] == "items[0].productUid"
    assert emulator.orders_for("SF-1001") == []


def test_missing_files_and_bad_address_are_refused(client) -> None:
    request = order_request(
        items=(GelatoItemRequest("i1", TEE, ()),), shipping_address=address(country="UK")
    )
    with pytest.raises(GelatoPermanentError) as caught:
        client.create_order(request)
    references = {d["reference"] for d in caught.value.body["details"]}
    assert references == {"items[0].files", "shippingAddress.country"}


def test_search_by_reference_finds_every_part(client) -> None:
    client.create_order(order_request("SF-A"))
    client.create_order(order_request("SF-B"))
    found = client.find_by_reference("SF-B")
    assert [o.order_reference_id for o in found] == ["SF-B"]
    assert found[0].country == "DE"
    assert client.find_by_reference("SF-none") == []


def test_search_follows_pages(client, emulator) -> None:
    for n in range(25):
        client.create_order(order_request(f"SF-{n}"))
    emulator.reset_calls()
    rows = list(client.iter_orders(order_types=["order"], page_size=10))
    assert len(rows) == 25
    assert len({r.id for r in rows}) == 25
    assert emulator.calls["search_orders"] == 3


def test_search_page_size_is_bounded_by_gelatos_maximum(client) -> None:
    with pytest.raises(ValueError, match="page_size"):
        list(client.iter_orders(page_size=101))


def test_cancel_before_production(client, emulator) -> None:
    order = client.create_order(order_request())
    emulator.advance(order.id, "passed")
    client.cancel_order(order.id)
    again = client.get_order(order.id)
    assert again.fulfillment_status is FulfillmentStatus.CANCELED
    assert again.financial_status == "canceled"


def test_cancel_after_printing_is_409_order_already_in_production(client, emulator) -> None:
    order = client.create_order(order_request())
    emulator.advance(order.id, "printed")
    with pytest.raises(OrderAlreadyInProduction) as caught:
        client.cancel_order(order.id)
    assert caught.value.status_code == 409
    assert client.get_order(order.id).fulfillment_status is FulfillmentStatus.PRINTED


def test_cancel_retried_after_a_5xx_that_did_cancel_succeeds(client, emulator) -> None:
    order = client.create_order(order_request())
    emulator.fail_after_commit("POST /v4/orders/*:cancel", status=502)
    client.cancel_order(order.id)  # 502 (but cancelled) → retry → 409 → GET says canceled
    assert emulator.calls["cancel_order"] == 2
    assert client.get_order(order.id).fulfillment_status is FulfillmentStatus.CANCELED


def test_mixed_hubs_split_into_connected_orders_sharing_the_reference(client, emulator) -> None:
    request = order_request(
        "SF-MIX",
        items=(
            GelatoItemRequest("tee", TEE, FILES),
            GelatoItemRequest("poster", POSTER, FILES),
            GelatoItemRequest("tee2", TEE_L, FILES),
        ),
    )
    first = client.create_order(request)
    parts = client.find_by_reference("SF-MIX")
    assert len(parts) == 2
    assert len(first.connected_order_ids) == 1
    other = client.get_order(first.connected_order_ids[0])
    assert other.connected_order_ids == (first.id,)
    assert other.order_reference_id == "SF-MIX"
    refs = sorted(i.item_reference_id for o in (first, other) for i in o.items)
    assert refs == ["poster", "tee", "tee2"]
    assert {first.fulfillment_country, other.fulfillment_country} == {"DE", "NL"}


def test_splitting_can_be_switched_off(sleeps) -> None:
    emulator = GelatoEmulator(api_key="k", split_orders=False)
    client = make_client(emulator, sleeps, key="k")
    request = order_request(
        items=(GelatoItemRequest("tee", TEE, FILES), GelatoItemRequest("poster", POSTER, FILES))
    )
    order = client.create_order(request)
    assert order.connected_order_ids == ()
    assert len(order.items) == 2


def test_a_thousand_orders_each_exist_once(client, emulator) -> None:
    # How fast is for bench/fulfillment.py to say; here, that volume loses or mixes nothing.
    ids = {client.create_order(order_request(f"SF-P{n}")).id for n in range(1000)}
    assert len(ids) == 1000
    assert emulator.calls["create_order"] == 1000
    for n in (0, 499, 999):
        assert len(client.find_by_reference(f"SF-P{n}")) == 1


def test_confirm_draft_turns_it_into_an_order_that_moves(client, emulator) -> None:
    draft = client.create_order(order_request("SF-DC", order_type="draft"))
    order = client.confirm_draft(draft.id)
    assert order.order_type == "order"
    assert order.fulfillment_status is FulfillmentStatus.CREATED
    assert order.financial_status == "to_be_invoiced"
    assert client.confirm_draft(draft.id).order_type == "order"  # repeat is harmless
    assert emulator.advance_all() == 1


def test_delete_draft_and_only_drafts(client) -> None:
    draft = client.create_order(order_request("SF-DD", order_type="draft"))
    client.delete_draft(draft.id)
    assert client.find_by_reference("SF-DD") == []
    client.delete_draft(draft.id)  # already gone
    real = client.create_order(order_request("SF-DR"))
    with pytest.raises(GelatoPermanentError, match="draft"):
        client.delete_draft(real.id)
