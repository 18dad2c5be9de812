"""The Stripe emulator over plain HTTP (WSGI transport): validation, events, control API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from emulators.stripe import StripeEmulator
from emulators.stripe.objects import decode_form
from tests.payments.support import FakeClock, Inbox

SESSION = {
    "mode": "payment",
    "success_url": "http://shop.test/ok?s={CHECKOUT_SESSION_ID}",
    "cancel_url": "http://shop.test/cart",
    "line_items[0][price_data][currency]": "usd",
    "line_items[0][price_data][unit_amount]": "2500",
    "line_items[0][price_data][product_data][name]": "Tee",
    "line_items[0][quantity]": "2",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> StripeEmulator:
    return StripeEmulator(webhook_url="http://shop.test/hook", sender=Inbox(), clock=clock)


@pytest.fixture
def api(emu: StripeEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=emu),
        base_url="http://stripe.test",
        headers={"Authorization": "Bearer sk_test_x"},
    ) as client:
        yield client


def test_decode_form_rebuilds_nested_values() -> None:
    assert decode_form(
        [
            ("line_items[0][price_data][unit_amount]", "100"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][quantity]", "3"),
            ("metadata[order_id]", "7"),
            ("expand[]", "payment_intent"),
            ("expand[]", "line_items"),
            ("created[gte]", "5"),
            ("mode", "payment"),
        ]
    ) == {
        "line_items": [{"price_data": {"unit_amount": "100"}, "quantity": "1"}, {"quantity": "3"}],
        "metadata": {"order_id": "7"},
        "expand": ["payment_intent", "line_items"],
        "created": {"gte": "5"},
        "mode": "payment",
    }


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"mode": "subscription"}, "mode"),
        ({"line_items[0][quantity]": "0"}, "line_items[0][quantity]"),
        (
            {"line_items[0][price_data][unit_amount]": "12.5"},
            "line_items[0][price_data][unit_amount]",
        ),
        ({"expires_at": "1"}, "expires_at"),
        ({"success_url": ""}, "success_url"),
    ],
)
def test_invalid_sessions_are_refused_like_stripe(
    api: httpx.Client, change: dict[str, str], param: str
) -> None:
    answer = api.post("/v1/checkout/sessions", data={**SESSION, **change})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert answer.headers["Request-Id"].startswith("req_")


def test_missing_or_wrong_key_is_401(emu: StripeEmulator) -> None:
    client = httpx.Client(transport=httpx.WSGITransport(app=emu), base_url="http://s")
    assert client.get("/v1/events").status_code == 401
    locked = StripeEmulator(api_key="sk_test_right", sender=Inbox())
    client = httpx.Client(transport=httpx.WSGITransport(app=locked), base_url="http://s")
    assert (
        client.get("/v1/events", headers={"Authorization": "Bearer sk_test_no"}).status_code == 401
    )
    assert (
        client.get("/v1/events", headers={"Authorization": "Bearer sk_test_right"}).status_code
        == 200
    )


def test_unknown_objects_are_404_resource_missing(api: httpx.Client) -> None:
    for path in ("/v1/checkout/sessions/cs_nope", "/v1/payment_intents/pi_nope",
                 "/v1/refunds/re_nope", "/v1/events/evt_nope"):  # fmt: skip
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["type"] == "invalid_request_error"


def paid_session(api: httpx.Client, emu: StripeEmulator) -> dict[str, Any]:
    session = api.post("/v1/checkout/sessions", data=SESSION).json()
    emu.pay(session["id"])
    return api.get(
        f"/v1/checkout/sessions/{session['id']}", params={"expand[]": "payment_intent"}
    ).json()


def test_events_filter_and_paginate_newest_first(
    api: httpx.Client, emu: StripeEmulator, clock: FakeClock
) -> None:
    first = paid_session(api, emu)
    assert first["payment_intent"]["status"] == "succeeded"  # expanded
    clock.advance(100)
    cutoff = int(clock())
    emu.webhooks.drop_next(3)
    paid_session(api, emu)  # charge.succeeded, payment_intent.succeeded, completed: dropped

    everything = api.get("/v1/events", params={"limit": 100}).json()
    assert len(everything["data"]) == 6 and not everything["has_more"]
    created = [e["created"] for e in everything["data"]]
    assert created == sorted(created, reverse=True)

    page = api.get("/v1/events", params={"limit": 4}).json()
    assert page["has_more"] and len(page["data"]) == 4
    rest = api.get(
        "/v1/events", params={"limit": 4, "starting_after": page["data"][-1]["id"]}
    ).json()
    assert not rest["has_more"] and len(rest["data"]) == 2
    assert {e["id"] for e in page["data"] + rest["data"]} == {e["id"] for e in everything["data"]}

    undelivered = api.get("/v1/events", params={"delivery_success": "false"}).json()["data"]
    assert len(undelivered) == 3 and all(e["pending_webhooks"] == 1 for e in undelivered)
    completed = api.get("/v1/events", params={"type": "checkout.session.completed"}).json()["data"]
    assert len(completed) == 2
    wildcard = api.get("/v1/events", params={"type": "checkout.session.*"}).json()["data"]
    assert len(wildcard) == 2
    recent = api.get("/v1/events", params={"created[gte]": str(cutoff)}).json()["data"]
    assert {e["id"] for e in recent} == {e["id"] for e in undelivered}
    assert api.get("/v1/events", params={"starting_after": "evt_nope"}).status_code == 400


def test_events_carry_the_request_that_caused_them(api: httpx.Client, emu: StripeEmulator) -> None:
    session = api.post("/v1/checkout/sessions", data=SESSION).json()
    expired = api.post(
        f"/v1/checkout/sessions/{session['id']}/expire", headers={"Idempotency-Key": "k-exp"}
    )
    assert expired.json()["status"] == "expired"
    event = api.get("/v1/events", params={"type": "checkout.session.expired"}).json()["data"][0]
    assert event["request"]["id"] == expired.headers["Request-Id"]
    assert event["data"]["object"]["id"] == session["id"]
    assert event["api_version"] == emu.api_version


def test_idempotent_replay_is_marked(api: httpx.Client, emu: StripeEmulator) -> None:
    first = api.post("/v1/checkout/sessions", data=SESSION, headers={"Idempotency-Key": "k1"})
    again = api.post("/v1/checkout/sessions", data=SESSION, headers={"Idempotency-Key": "k1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(emu.sessions) == 1
    other = api.post(
        "/v1/checkout/sessions", data={**SESSION, "line_items[0][quantity]": "3"},
        headers={"Idempotency-Key": "k1"},
    )  # fmt: skip
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


def test_control_api_drives_the_session_lifecycle(api: httpx.Client, emu: StripeEmulator) -> None:
    session = api.post("/v1/checkout/sessions", data=SESSION).json()
    paid = api.post(
        "/_emulator/commands/pay", json={"session_id": session["id"], "outcome": "processing"}
    )
    assert paid.json()["result"]["payment_status"] == "unpaid"
    settled = api.post("/_emulator/commands/settle_async", json={"session_id": session["id"]})
    assert settled.json()["result"]["payment_status"] == "paid"
    again = api.post("/_emulator/commands/settle_async", json={"session_id": session["id"]})
    assert again.status_code == 400
    api.post("/_emulator/faults", json={"route": "GET /v1/events", "kind": "error", "status": 500})
    failed = api.get("/v1/events")
    assert failed.status_code == 500 and failed.json()["error"]["type"] == "api_error"


def test_hosted_page_works_under_a_path_prefix() -> None:
    emu = StripeEmulator(sender=Inbox())
    site = DispatcherMiddleware(lambda env, start: [], {"/_emulators/stripe": emu})
    client = httpx.Client(
        transport=httpx.WSGITransport(app=site),
        base_url="http://127.0.0.1:8000",
        headers={"Authorization": "Bearer sk_test_x"},
    )
    session = client.post("/_emulators/stripe/v1/checkout/sessions", data=SESSION).json()
    assert session["url"] == f"http://127.0.0.1:8000/_emulators/stripe/pay/{session['id']}"
    page = client.get(session["url"])
    assert f'action="/_emulators/stripe/pay/{session["id"]}"' in page.text
    assert "50.00 USD" in page.text
    done = client.post(f"/_emulators/stripe/pay/{session['id']}", data={"action": "pay"})
    assert done.headers["location"] == f"http://shop.test/ok?s={session['id']}"
    assert (
        client.post(f"/_emulators/stripe/pay/{session['id']}", data={"action": "x"}).status_code
        == 400
    )
    assert client.get("/_emulators/stripe/pay/cs_nope").status_code == 404


def test_refund_failure_later_is_reported(api: httpx.Client, emu: StripeEmulator) -> None:
    session = paid_session(api, emu)
    refund = api.post(
        "/v1/refunds", data={"payment_intent": session["payment_intent"]["id"]}
    ).json()
    assert refund["amount"] == 5000 and refund["status"] == "succeeded"
    emu.fail_refund(refund["id"])
    assert api.get(f"/v1/refunds/{refund['id']}").json()["status"] == "failed"
    types = [e["type"] for e in api.get("/v1/events", params={"limit": 3}).json()["data"]]
    assert types[:2] == ["refund.updated", "refund.failed"]
    unpaid = api.post("/v1/checkout/sessions", data=SESSION).json()
    assert api.post("/v1/refunds", data={}).status_code == 400
    assert api.post("/v1/refunds", data={"payment_intent": "pi_nope"}).status_code == 404
    assert unpaid["payment_intent"] is None


def test_a_key_in_flight_is_409(emu: StripeEmulator) -> None:
    from emulators.stripe import StripeApiError

    def reenter() -> tuple[int, dict[str, Any]]:
        with pytest.raises(StripeApiError) as busy:
            emu.idempotent("sk_test_x", "k", "fp", lambda: (200, {}))
        assert (busy.value.status, busy.value.code) == (409, "idempotency_key_in_use")
        return 200, {"ok": True}

    assert emu.idempotent("sk_test_x", "k", "fp", reenter) == (200, {"ok": True}, False)
    assert emu.idempotent("sk_test_x", "k", "fp", reenter) == (200, {"ok": True}, True)
