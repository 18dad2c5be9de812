"""The GROQ result cache: TTL, stale-while-revalidate, single-flight, exact invalidation."""

import json
import threading
from concurrent.futures import Executor, Future

import pytest

from storefront.content.querycache import ContentCache, _key, cache_key
from tests.support.clocks import Seconds


class Inline(Executor):
    def submit(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def make(clock: Seconds) -> ContentCache:
    return ContentCache(ttl=10, stale=30, clock=clock, executor=Inline())


def test_ttl_then_stale_then_reload() -> None:
    clock, calls = Seconds(), []
    cache = make(clock)

    def loader():  # type: ignore[no-untyped-def]
        calls.append(1)
        return {"_id": "p1", "n": len(calls)}

    key = ("q", {}, "published")
    assert cache.get_or_load(key, loader)["n"] == 1
    assert cache.get_or_load(key, loader)["n"] == 1  # fresh
    clock.now += 15
    assert cache.get_or_load(key, loader)["n"] == 1  # stale served, refreshed behind
    assert cache.get_or_load(key, loader)["n"] == 2
    clock.now += 100
    assert cache.get_or_load(key, loader)["n"] == 3  # expired: loaded in line
    assert cache.stats()["stale_hits"] == 1


def test_many_concurrent_misses_make_one_call() -> None:
    cache = ContentCache(ttl=10, stale=10)
    gate, calls = threading.Event(), []

    def loader():  # type: ignore[no-untyped-def]
        calls.append(1)
        gate.wait(5)
        return [1]

    results: list[object] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get_or_load(("q", {"a": 1}, "published"), loader))
        )
        for _ in range(50)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == [1]
    assert results == [[1]] * 50


def test_failures_propagate_and_are_not_cached() -> None:
    cache = make(Seconds())

    def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError("lake down")

    with pytest.raises(RuntimeError):
        cache.get_or_load(("q", {}, "published"), broken)
    assert cache.get_or_load(("q", {}, "published"), lambda: 5) == 5


def test_invalidation_is_exact() -> None:
    cache = make(Seconds())
    page_a = ("page", {"slug": "a"}, "published")
    page_b = ("page", {"slug": "b"}, "published")
    listing = ("list", {}, "published")
    cache.get_or_load(page_a, lambda: {"_id": "product-a", "design": {"_ref": "design-a"}})
    cache.get_or_load(page_b, lambda: {"_id": "product-b"})
    cache.get_or_load(listing, lambda: [{"_id": "product-a"}], tags=["type:product"])
    assert cache.invalidate_document("drafts.design-a") == 1  # only page A uses that design
    assert cache.invalidate_document("product-x", "product") == 1  # the listing, by type
    assert cache.stats()["size"] == 1  # page B is untouched
    missing = ("page", {"slug": "new"}, "published")
    cache.get_or_load(missing, lambda: None, tags_if_empty=["type:product"])
    assert cache.invalidate_document("product-new", "product") == 1


def test_drafts_never_enter_the_cache() -> None:
    with pytest.raises(ValueError, match="draft"):
        make(Seconds()).get_or_load(("q", {}, "drafts"), lambda: 1)


def test_entries_carry_a_version_and_the_newest_update() -> None:
    """What pages derive from a result is keyed on its version (storefront/content/notes.py)."""
    clock = Seconds()
    cache = make(clock)
    value = {"_id": "p1", "_updatedAt": "2026-01-02T00:00:00Z", "design": {"_updatedAt": "x"}}
    first = cache.get_or_load_entry(("q", {}, "published"), lambda: value)
    same = cache.get_or_load_entry(("other", {}, "published"), lambda: dict(value))
    assert first.version and first.version == same.version  # equal results, equal versions
    assert first.updated == "2026-01-02T00:00:00+00:00"
    cache.invalidate_document("p1")
    changed = cache.get_or_load_entry(("q", {}, "published"), lambda: {**value, "title": "New"})
    assert changed.version != first.version
    empty = cache.get_or_load_entry(("none", {}, "published"), lambda: None)
    assert empty.version and empty.updated == ""


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"slug": "a"},
        {"uids": ("u1", "u2")},
        {"uids": ["u1", "u2"]},
        {"n": 1},
        {"n": True},
        {"n": 1.0},
        {"n": None, "s": "x"},
        {"nested": {"a": 1}},
    ],
)
def test_cache_keys_do_not_depend_on_the_fast_path(params: dict) -> None:  # type: ignore[type-arg]
    """Simple params skip writing JSON, yet get the key the JSON gives (shared with Redis)."""
    slow = _key("q", json.dumps(params, sort_keys=True, separators=(",", ":"), default=str), "p")
    assert cache_key("q", params, "p") == slow
    assert cache_key("q", {"n": 1}, "p") != cache_key("q", {"n": True}, "p")
