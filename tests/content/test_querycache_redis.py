"""The Redis store behind the content cache, against a real redis-server: what one web
process caches, loads or invalidates, another sees."""

import threading
from collections.abc import Iterator

import pytest

from storefront.content.querycache import ContentCache, cache_key
from tests.support.material import missing
from tests.support.redis_server import RedisUnavailable, redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as exc:
        missing(str(exc))


def two_processes(url: str) -> tuple[ContentCache, ContentCache]:
    a, b = (
        ContentCache.from_url(url, ttl=30, stale=30),
        ContentCache.from_url(url, ttl=30, stale=30),
    )
    a.invalidate_all()
    return a, b


def test_a_result_loaded_by_one_process_serves_the_other(redis_url: str) -> None:
    a, b = two_processes(redis_url)
    key = ("*[_id == $id][0]", {"id": "product-a"}, "published")
    assert a.get_or_load(key, lambda: {"_id": "product-a", "n": 1})["n"] == 1
    assert b.get_or_load(key, lambda: pytest.fail("must not load again")) == {
        "_id": "product-a",
        "n": 1,
    }


def test_invalidation_reaches_every_process_and_only_the_affected(redis_url: str) -> None:
    a, b = two_processes(redis_url)
    page_a = ("page", {"slug": "a"}, "published")
    page_b = ("page", {"slug": "b"}, "published")
    listing = ("list", {}, "published")
    a.get_or_load(page_a, lambda: {"_id": "product-a"})
    a.get_or_load(page_b, lambda: {"_id": "product-b"})
    a.get_or_load(listing, lambda: [{"_id": "product-a"}], tags=["type:product"])
    assert b.invalidate_document("product-a") == 2
    calls: list[int] = []
    b.get_or_load(page_a, lambda: calls.append(1) or {"_id": "product-a"})
    b.get_or_load(page_b, lambda: calls.append(2) or {})
    assert calls == [1]


def test_single_flight_across_processes(redis_url: str) -> None:
    a, b = two_processes(redis_url)
    key = ("slow", {}, "published")
    gate, calls = threading.Event(), []

    def loader():  # type: ignore[no-untyped-def]
        calls.append(1)
        gate.wait(5)
        return [1, 2]

    results: list[object] = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(c.get_or_load(key, loader)))
        for c in (a, b, a, b)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert results == [[1, 2]] * 4
    assert len(calls) == 1


def test_a_process_that_gives_up_waiting_leaves_the_other_lock_alone(redis_url: str) -> None:
    a, b = two_processes(redis_url)
    parts = ("stuck", {}, "published")
    key = cache_key(*parts)
    assert a.store.acquire(key, 10_000)  # process a is loading, slowly
    assert b.get_or_load(parts, lambda: [1]) == [1]  # b waited, then loaded itself
    assert not b.store.acquire(key, 10_000), "b freed the lock a still holds"
    a.store.release(key)
