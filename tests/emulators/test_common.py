"""The shared emulator helpers: faults, webhook queue, control API, live server."""

from __future__ import annotations

import httpx
import pytest
from flask import Flask, Response, request

from emulators.common import (
    FaultInjector,
    LiveServer,
    WebhookQueue,
    control_blueprint,
    new_id,
    wsgi_sender,
)
from tests.payments.support import Inbox


def make_app(faults: FaultInjector, queue: WebhookQueue | None = None) -> Flask:
    app = Flask(__name__)
    state = {"writes": 0}

    def render(status: int, message: str) -> Response:
        return Response(message, status=status)

    faults.install(app, render)

    @app.post("/things")
    def write() -> dict[str, int]:
        state["writes"] += 1
        return state

    @app.get("/things/<thing_id>")
    def read(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app.register_blueprint(
        control_blueprint(
            faults,
            queue or WebhookQueue(sender=Inbox()),
            {"echo": lambda data: data["say"]},
            reset=lambda: state.update(writes=0),
        )
    )
    app.config["state"] = state
    return app


def test_new_id_has_prefix_and_is_random() -> None:
    first, second = new_id("cs_test_"), new_id("cs_test_")
    assert first.startswith("cs_test_") and len(first) == 8 + 24
    assert first != second and first[8:].isalnum()


def test_faults_match_by_method_and_path_glob_and_are_consumed() -> None:
    faults = FaultInjector(sleep=lambda _s: None)
    faults.fail_next("GET /things/*", times=2, status=502)
    client = make_app(faults).test_client()
    assert client.post("/things").status_code == 200  # other method: untouched
    assert client.get("/things/a").status_code == 502
    assert client.get("/things/b").status_code == 502
    assert client.get("/things/c").status_code == 200
    assert faults.armed() == []
    with pytest.raises(ValueError):
        faults.fail_next("GET /x", times=0)


def test_error_before_and_after_the_work() -> None:
    faults = FaultInjector(sleep=lambda _s: None)
    app = make_app(faults)
    client = app.test_client()
    faults.fail_next("POST /things", status=500)
    assert client.post("/things").status_code == 500
    assert app.config["state"]["writes"] == 0  # nothing happened
    faults.fail_next("POST /things", status=500, after_commit=True)
    assert client.post("/things").status_code == 500
    assert app.config["state"]["writes"] == 1  # it happened although the answer was 500


def test_timeouts_sleep_before_or_after_the_work() -> None:
    slept: list[float] = []
    faults = FaultInjector(sleep=slept.append)
    app = make_app(faults)
    client = app.test_client()
    faults.timeout_next("POST /things", delay=3.0)
    assert client.post("/things").status_code == 504
    assert app.config["state"]["writes"] == 0
    faults.timeout_next("POST /things", delay=4.0, after_commit=True)
    assert client.post("/things").status_code == 200
    assert app.config["state"]["writes"] == 1
    assert slept == [3.0, 4.0]


def test_control_api_arms_faults_and_runs_commands() -> None:
    faults = FaultInjector(sleep=lambda _s: None)
    queue = WebhookQueue(sender=Inbox())
    client = make_app(faults, queue).test_client()
    armed = client.post(
        "/_emulator/faults", json={"route": "GET /things/*", "kind": "error", "status": 500}
    )
    assert armed.status_code == 201
    assert client.get("/_emulator/faults").json[0]["route"] == "GET /things/*"
    assert client.get("/things/x").status_code == 500
    assert client.post("/_emulator/faults", json={"route": "nope"}).status_code == 400
    client.post("/_emulator/faults", json={"route": "GET /things/*", "kind": "timeout_after"})
    assert client.delete("/_emulator/faults").status_code == 204
    assert faults.armed() == []

    assert client.post("/_emulator/commands/echo", json={"say": "hi"}).json == {
        "ok": True,
        "result": "hi",
    }
    assert client.post("/_emulator/commands/echo", json={}).status_code == 400
    assert client.post("/_emulator/commands/nope").status_code == 404

    assert client.post("/_emulator/webhooks/drop", json={"times": 2}).json["armed"]["drop"] == 2
    assert client.post("/_emulator/webhooks/bogus").status_code == 404
    assert client.post("/_emulator/reset").status_code == 204
    assert queue.status()["armed"]["drop"] == 0


def queue_with(inbox: Inbox) -> tuple[WebhookQueue, list[tuple[str, bool]]]:
    results: list[tuple[str, bool]] = []
    queue = WebhookQueue(sender=inbox, on_result=lambda e, ok: results.append((e, ok)))
    return queue, results


def headers(body: bytes) -> dict[str, str]:
    return {"X-Len": str(len(body))}


def test_webhooks_deliver_drop_duplicate_and_retry() -> None:
    inbox = Inbox()
    queue, results = queue_with(inbox)
    queue.enqueue("evt_1", "http://shop/hook", b"one", headers)
    assert inbox.received == [("http://shop/hook", b"one", {"X-Len": "3"})]

    queue.drop_next()
    queue.enqueue("evt_2", "http://shop/hook", b"two", headers)
    assert len(inbox.received) == 1
    queue.duplicate_next(copies=2)
    queue.enqueue("evt_3", "http://shop/hook", b"three", headers)
    assert [body for _, body, _ in inbox.received] == [b"one", b"three", b"three", b"three"]
    assert ("evt_2", False) in results

    inbox.status = 500
    queue.enqueue("evt_4", "http://shop/hook", b"four", headers)
    assert queue.status()["failed"] == ["evt_2", "evt_4"]
    inbox.status = 200
    assert queue.retry_failed() == 2
    assert [body for _, body, _ in inbox.received][-2:] == [b"two", b"four"]
    assert queue.status()["failed"] == []
    assert results[-2:] == [("evt_2", True), ("evt_4", True)]


def test_webhooks_held_then_flushed_out_of_order() -> None:
    inbox = Inbox()
    queue, _ = queue_with(inbox)
    queue.delay_next(3)
    for n in range(1, 4):
        queue.enqueue(f"evt_{n}", "http://shop/hook", f"{n}".encode(), headers)
    queue.enqueue("evt_4", "http://shop/hook", b"4", headers)
    assert [body for _, body, _ in inbox.received] == [b"4"]
    assert queue.pending_count == 3
    assert queue.deliver_pending(reverse=True) == 3
    assert [body for _, body, _ in inbox.received] == [b"4", b"3", b"2", b"1"]

    queue.hold_all = True
    queue.enqueue("evt_5", "http://shop/hook", b"5", headers)
    assert queue.pending_count == 1
    assert queue.deliver_pending() == 1


def test_sender_failures_and_missing_url_are_failed_deliveries() -> None:
    def broken(url: str, body: bytes, hdrs: object) -> int:
        raise httpx.ConnectError("refused")

    results: list[tuple[str, bool]] = []
    queue = WebhookQueue(sender=broken, on_result=lambda e, ok: results.append((e, ok)))
    queue.enqueue("evt_1", "http://shop/hook", b"x", headers)
    queue.enqueue("evt_2", None, b"x", headers)
    assert results == [("evt_1", False), ("evt_2", False)]
    assert "ConnectError" in (queue.attempts[0].error or "")


def test_wsgi_sender_delivers_into_an_app() -> None:
    shop = Flask(__name__)
    seen: list[tuple[bytes, str]] = []

    @shop.post("/webhooks/x")
    def hook() -> tuple[str, int]:
        seen.append((request.get_data(), request.headers["X-Len"]))
        return "", 204

    queue = WebhookQueue(sender=wsgi_sender(shop))
    queue.enqueue("evt_1", "http://anything/webhooks/x", b"payload", headers)
    assert seen == [(b"payload", "7")]
    assert queue.attempts[0].ok
    via_test_client = WebhookQueue(sender=wsgi_sender(shop.test_client()))
    via_test_client.enqueue("evt_2", "http://shop.test/webhooks/x", b"again", headers)
    assert seen[-1] == (b"again", "5")
    via_test_client.enqueue("evt_3", "http://shop.test/elsewhere", b"x", headers)
    assert via_test_client.attempts[-1].status == 404


def test_live_server_serves_on_a_free_port_and_stops() -> None:
    faults = FaultInjector()
    server = LiveServer(make_app(faults))
    assert server.url == f"http://127.0.0.1:{server.port}"
    with server:
        assert httpx.get(f"{server.url}/things/7").json() == {"id": "7"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/things/7", timeout=1.0)
