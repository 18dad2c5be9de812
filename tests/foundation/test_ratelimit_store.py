"""The in-process rate-limit store: fixed windows, exact counts under threads, no own threads."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from storefront.web import ratelimit_store
from storefront.web.ratelimit_store import ProcessMemoryStorage
from storefront.web.security import limiter
from tests.support.clocks import Seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Seconds:
    fake = Seconds(1_000_000.0)
    monkeypatch.setattr(ratelimit_store, "time", fake)
    return fake


def test_the_scheme_names_this_store() -> None:
    assert isinstance(storage_from_string("process-memory://"), ProcessMemoryStorage)


def test_counts_within_a_window_and_starts_again_after_it(clock: Seconds) -> None:
    store = ProcessMemoryStorage()
    assert [store.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert store.get("k") == 3
    assert store.get_expiry("k") == clock.now + 60
    clock.now += 59.9
    assert store.incr("k", 60, amount=2) == 5
    clock.now += 0.1  # the window has ended
    assert store.get("k") == 0
    assert store.get_expiry("k") == clock.now
    assert store.incr("k", 60) == 1
    assert store.get_expiry("k") == clock.now + 60


def test_keys_are_counted_apart_and_cleared_apart(clock: Seconds) -> None:
    store = ProcessMemoryStorage()
    store.incr("a", 60)
    store.incr("b", 60)
    store.clear("a")
    assert (store.get("a"), store.get("b")) == (0, 1)
    assert store.reset() == 1
    assert store.get("b") == 0
    assert store.check()


def test_ended_windows_are_swept_at_most_once_a_minute(clock: Seconds) -> None:
    store = ProcessMemoryStorage()
    for n in range(100):
        store.incr(f"visitor-{n}", 1)
    clock.now += 2  # every window ended, but the last sweep was just now
    store.incr("late", 1)
    assert store.counters() == 101
    clock.now += ratelimit_store.SWEEP_EVERY
    store.incr("later", 1)
    assert store.counters() == 1


def test_the_limiter_refuses_the_hit_after_the_limit(clock: Seconds) -> None:
    limits = FixedWindowRateLimiter(ProcessMemoryStorage())
    five = parse("5/minute")
    assert [limits.hit(five, "198.51.100.7") for _ in range(6)] == [True] * 5 + [False]
    assert limits.hit(five, "198.51.100.8")
    stats = limits.get_window_stats(five, "198.51.100.7")
    assert (stats.remaining, stats.reset_time) == (0, clock.now + 60)


def test_threads_hitting_at_once_get_every_count_once_and_start_no_thread() -> None:
    store = ProcessMemoryStorage()
    workers, hits = 16, 200
    start = threading.Barrier(workers)
    seen: list[list[int]] = [[] for _ in range(workers)]

    def hit(n: int) -> None:
        start.wait()
        seen[n].extend(store.incr("same-visitor", 60) for _ in range(hits))

    before = set(threading.enumerate())
    threads = [threading.Thread(target=hit, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(count for counts in seen for count in counts) == list(
        range(1, workers * hits + 1)
    )
    assert store.get("same-visitor") == workers * hits
    assert set(threading.enumerate()) <= before


def test_the_shop_counts_in_this_store_without_redis(app: Flask) -> None:
    with app.app_context():
        assert isinstance(limiter.storage, ProcessMemoryStorage)
