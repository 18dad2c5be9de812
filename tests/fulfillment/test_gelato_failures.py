"""Failure classification: permanent vs transient vs ambiguous, and bounded retries."""

from __future__ import annotations

import httpx
import pytest

from storefront.gelato.client import GelatoClient
from storefront.gelato.errors import (
    GelatoAmbiguousError,
    GelatoPermanentError,
    GelatoTransientError,
)
from storefront.gelato.types import FulfillmentStatus
from storefront.http_retry import RetryPolicy
from tests.fulfillment.conftest import API_KEY, order_request
from tests.support.timing import CLIENT_TIMEOUT, HELD_FOR


def live_client(url: str, *, timeout: float = CLIENT_TIMEOUT) -> GelatoClient:
    return GelatoClient(
        api_key=API_KEY,
        order_base=url,
        product_base=url,
        shipment_base=url,
        timeout=timeout,
        retry=RetryPolicy(attempts=2, base_delay=0.01),
    )


def test_timeout_after_the_order_was_stored_is_ambiguous_and_search_finds_it(
    emulator, live_url
) -> None:
    emulator.faults.timeout_next("POST /v4/orders", delay=HELD_FOR, after_commit=True)
    with live_client(live_url) as client:
        with pytest.raises(GelatoAmbiguousError):
            client.create_order(order_request("SF-AMB"))
        assert emulator.calls["create_order"] == 1  # never retried
        [found] = client.find_by_reference("SF-AMB")
        assert found.fulfillment_status is FulfillmentStatus.CREATED


def test_timeout_before_anything_happened_is_still_ambiguous_to_the_client(
    emulator, live_url
) -> None:
    # The client cannot tell the two timeouts apart: only the search can.
    emulator.faults.timeout_next("POST /v4/orders", delay=HELD_FOR)
    with live_client(live_url) as client, pytest.raises(GelatoAmbiguousError):
        client.create_order(order_request("SF-T"))
    assert emulator.calls["create_order"] == 1


def test_5xx_on_create_is_ambiguous_and_the_order_may_exist(client, emulator) -> None:
    emulator.fail_after_commit("POST /v4/orders", status=502)
    with pytest.raises(GelatoAmbiguousError) as caught:
        client.create_order(order_request("SF-502"))
    assert caught.value.status_code == 502
    assert emulator.calls["create_order"] == 1
    assert len(client.find_by_reference("SF-502")) == 1


def test_429_on_create_is_transient_and_nothing_was_created(client, emulator) -> None:
    emulator.faults.fail_next("POST /v4/orders", status=429)
    with pytest.raises(GelatoTransientError) as caught:
        client.create_order(order_request("SF-429"))
    assert caught.value.status_code == 429
    assert emulator.calls["create_order"] == 1
    assert client.find_by_reference("SF-429") == []


def test_connection_refused_on_create_is_transient() -> None:
    client = GelatoClient(api_key="k", order_base="http://127.0.0.1:9", timeout=0.5)
    with client, pytest.raises(GelatoTransientError, match="reach"):
        client.create_order(order_request())


def test_4xx_is_permanent_with_message_and_body(client) -> None:
    with pytest.raises(GelatoPermanentError) as caught:
        client.create_order(order_request(currency="euro"))
    assert caught.value.status_code == 400
    assert "currency" in caught.value.message
    assert caught.value.body["code"] == "invalid_request"


def test_safe_calls_retry_5xx_and_429_then_succeed(client, emulator, sleeps) -> None:
    order = client.create_order(order_request())
    emulator.faults.fail_next("GET /v4/orders/*", status=503)
    emulator.faults.fail_next("GET /v4/orders/*", status=429)
    assert client.get_order(order.id).id == order.id
    assert emulator.calls["get_order"] == 3
    assert len(sleeps) == 2
    assert sleeps[0] <= 0.1 and sleeps[1] <= 0.2  # full jitter under an exponential ceiling


def test_retries_are_bounded_then_transient(client, emulator, sleeps) -> None:
    emulator.faults.fail_next("POST /v4/orders:search", times=10, status=500)
    with pytest.raises(GelatoTransientError) as caught:
        client.find_by_reference("SF-1")
    assert caught.value.status_code == 500
    assert emulator.calls["search_orders"] == 3  # attempts=3 in the fixture
    assert len(sleeps) == 2


def test_a_timeout_on_a_safe_call_is_retried(emulator, live_url) -> None:
    with live_client(live_url) as client:
        order = client.create_order(order_request())
        emulator.faults.timeout_next("GET /v4/orders/*", delay=HELD_FOR)
        assert client.get_order(order.id).id == order.id
    assert emulator.calls["get_order"] == 2


def test_4xx_on_safe_calls_is_not_retried(client, emulator) -> None:
    emulator.faults.fail_next("GET /v1/shipment-methods", status=400)
    with pytest.raises(GelatoPermanentError):
        client.shipment_methods("DE")
    assert emulator.calls["shipment_methods"] == 1


def test_retry_delay_grows_exponentially_and_respects_the_cap() -> None:
    import random

    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, rng=random.Random(1))
    for n in range(6):
        assert 0 <= policy.delay(n) <= min(5.0, 2**n)
    assert policy.delay(0, retry_after=3.0) >= 3.0
    assert policy.delay(0, retry_after=60.0) <= 5.0


def test_injected_client_still_gets_a_timeout(emulator) -> None:
    captured = {}

    def handler(request: httpx.Request) -> httpx.Response:
        captured.update(request.extensions["timeout"])
        return httpx.Response(200, json={"shipmentMethods": []})

    client = GelatoClient(
        api_key="k", http=httpx.Client(transport=httpx.MockTransport(handler)), timeout=4.0
    )
    assert client.shipment_methods("DE") == []
    assert captured["read"] == 4.0


def _client_raising(exc: Exception | None = None, response: httpx.Response | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        if exc is not None:
            raise exc
        assert response is not None
        return response

    return GelatoClient(api_key="k", http=httpx.Client(transport=httpx.MockTransport(handler)))


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectError("refused"), GelatoTransientError),
        (httpx.ConnectTimeout("slow connect"), GelatoTransientError),
        (httpx.PoolTimeout("pool"), GelatoTransientError),
        (httpx.WriteTimeout("half sent"), GelatoAmbiguousError),
        (httpx.ReadTimeout("no answer"), GelatoAmbiguousError),
        (httpx.RemoteProtocolError("connection dropped"), GelatoAmbiguousError),
        (httpx.ReadError("reset by peer"), GelatoAmbiguousError),
    ],
)
def test_create_order_network_failures_are_classified(failure, expected) -> None:
    with pytest.raises(expected) as caught:
        _client_raising(failure).create_order(order_request())
    assert type(caught.value) is expected
    assert caught.value.__cause__ is failure


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_order_5xx_is_ambiguous(status: int) -> None:
    response = httpx.Response(status, json={"message": "boom"})
    with pytest.raises(GelatoAmbiguousError, match="boom"):
        _client_raising(response=response).create_order(order_request())


def test_create_order_unreadable_2xx_is_ambiguous() -> None:
    response = httpx.Response(200, text="<html>proxy page</html>")
    with pytest.raises(GelatoAmbiguousError, match="cannot read"):
        _client_raising(response=response).create_order(order_request())


def test_request_id_is_kept_on_errors() -> None:
    response = httpx.Response(400, json={"message": "bad"}, headers={"x-request-id": "req-42"})
    with pytest.raises(GelatoPermanentError) as caught:
        _client_raising(response=response).create_order(order_request())
    assert caught.value.request_id == "req-42"
