"""Circuit breakers: open after N consecutive failures, one trial call after the cool-down,
state shared through Redis, each state change logged once."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from redis import Redis

from storefront.circuit import (
    CircuitBreaker,
    CircuitOpen,
    MemoryCircuitStore,
    RedisCircuitStore,
    circuit_open,
)
from storefront.http_retry import NO_RETRY, send_with_retries
from tests.support.clocks import Seconds


def breaker(clock: Seconds, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker(
        "gelato", MemoryCircuitStore(clock), failure_threshold=threshold, cooldown=30
    )


def fail(b: CircuitBreaker) -> None:
    b.record(b.admit(), failed=True)


def test_opens_after_consecutive_failures_and_fails_fast() -> None:
    clock = Seconds()
    b = breaker(clock)
    fail(b)
    fail(b)
    b.record(b.admit(), failed=False)  # a success in between resets the count
    fail(b)
    fail(b)
    assert b.state == "closed"
    fail(b)
    assert b.state == "open"
    with pytest.raises(CircuitOpen) as info:
        b.admit()
    assert info.value.service == "gelato" and 29 < info.value.retry_in <= 30


def test_one_trial_call_after_the_cool_down_then_closed_or_open_again() -> None:
    clock = Seconds()
    b = breaker(clock)
    for _ in range(3):
        fail(b)
    clock.now += 31
    assert b.state == "half-open"
    trial = b.admit()
    assert trial.probe
    with pytest.raises(CircuitOpen):  # everyone else still fails fast during the trial
        b.admit()
    b.record(trial, failed=True)
    assert b.state == "open"
    clock.now += 31
    trial = b.admit()
    b.record(trial, failed=False)
    assert b.state == "closed"
    assert not b.admit().probe


def test_each_state_change_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = Seconds()
    b = breaker(clock)
    with caplog.at_level(logging.INFO, logger="storefront.circuit"):
        for _ in range(3):
            fail(b)
        for _ in range(50):
            with pytest.raises(CircuitOpen):
                b.admit()
        clock.now += 31
        b.record(b.admit(), failed=False)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3, messages
    assert "open after 3 consecutive failures" in messages[0]
    assert "half-open" in messages[1] and "closed" in messages[2]


def test_an_answer_that_is_not_an_outage_keeps_the_circuit_closed() -> None:
    """A 4xx is the service answering: counted as health, never as a failure."""
    clock = Seconds()
    b = breaker(clock, threshold=2)
    calls = []

    def send() -> httpx.Response:
        calls.append(1)
        return httpx.Response(422, json={"message": "bad address"})

    for _ in range(5):
        response = send_with_retries(
            send,
            NO_RETRY,
            unreachable=RuntimeError,
            broken=RuntimeError,
            exhausted=lambda r: RuntimeError(r.status_code),
            breaker=b,
        )
        assert response.status_code == 422
    assert b.state == "closed" and len(calls) == 5


def test_an_open_circuit_sends_nothing_and_names_itself() -> None:
    clock = Seconds()
    b = breaker(clock, threshold=1)
    sent = []

    def send() -> httpx.Response:
        sent.append(1)
        return httpx.Response(503)

    def call() -> httpx.Response:
        return send_with_retries(
            send,
            NO_RETRY,
            unreachable=RuntimeError,
            broken=RuntimeError,
            exhausted=lambda r: RuntimeError(f"answered {r.status_code}"),
            breaker=b,
            unavailable=lambda exc: LookupError(str(exc)),
        )

    with pytest.raises(RuntimeError, match="503"):
        call()
    with pytest.raises(LookupError) as info:
        call()
    assert sent == [1]
    assert circuit_open(info.value) and not circuit_open(RuntimeError("x"))


def test_redis_shares_the_circuit_between_processes(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}"
    web_a = CircuitBreaker(
        "gelato", RedisCircuitStore(Redis.from_url(redis_url), prefix), failure_threshold=2
    )
    web_b = CircuitBreaker(
        "gelato", RedisCircuitStore(Redis.from_url(redis_url), prefix), failure_threshold=2
    )
    fail(web_a)
    fail(web_b)  # the second consecutive failure, seen from another process, opens it
    for b in (web_a, web_b):
        with pytest.raises(CircuitOpen):
            b.admit()
    assert web_a.state == web_b.state == "open"
    # The cool-down ends (its key expires); exactly one process makes the trial call.
    Redis.from_url(redis_url).delete(f"{prefix}:gelato:open")
    trial = web_a.admit()
    assert trial.probe
    with pytest.raises(CircuitOpen):
        web_b.admit()
    web_a.record(trial, failed=False)
    assert not web_b.admit().probe and web_b.state == "closed"
