from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contentlake.mutations import MutationFailure, valid_id
from contentlake.store import LakeStore, _view


def test_documents_persist_in_sqlite_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "lake.sqlite3"
    first = LakeStore(path)
    first.mutate([{"create": {"_id": "a", "_type": "t", "n": 1}}])
    first.close()
    second = LakeStore(path)
    assert second.get("a")["n"] == 1
    assert len(second) == 1
    second.close()


def test_system_fields_and_revision_upkeep() -> None:
    store = LakeStore()
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    first = store.mutate([{"create": {"_id": "a", "_type": "t", "n": 1}}], now=t0)
    doc = store.get("a")
    assert doc["_rev"] == first.transaction_id
    assert doc["_createdAt"] == doc["_updatedAt"] == "2026-01-01T12:00:00Z"
    t1 = datetime(2026, 1, 2, 8, 30, tzinfo=UTC)
    second = store.mutate([{"patch": {"id": "a", "set": {"n": 2}}}], now=t1)
    doc = store.get("a")
    assert doc["_rev"] == second.transaction_id != first.transaction_id
    assert doc["_createdAt"] == "2026-01-01T12:00:00Z"
    assert doc["_updatedAt"] == "2026-01-02T08:30:00Z"
    # a patch that changes nothing keeps the revision
    store.mutate([{"patch": {"id": "a", "set": {"n": 2}}}])
    assert store.get("a")["_rev"] == second.transaction_id


def test_create_generates_ids_and_honours_prefixes() -> None:
    store = LakeStore()
    out = store.mutate([{"create": {"_type": "t"}}, {"create": {"_id": "drafts.", "_type": "t"}}])
    generated, prefixed = (r["id"] for r in out.results)
    assert valid_id(generated) and len(generated) >= 20
    assert prefixed.startswith("drafts.") and len(prefixed) > len("drafts.")


def test_create_of_existing_id_conflicts_and_changes_nothing() -> None:
    store = LakeStore()
    store.mutate([{"create": {"_id": "a", "_type": "t"}}])
    with pytest.raises(MutationFailure) as info:
        store.mutate(
            [{"create": {"_id": "b", "_type": "t"}}, {"create": {"_id": "a", "_type": "t"}}]
        )
    assert info.value.status == 409
    assert store.get("b") is None


def test_create_or_replace_and_if_not_exists() -> None:
    store = LakeStore()
    out = store.mutate([{"createOrReplace": {"_id": "a", "_type": "t", "v": 1}}])
    assert out.results == [{"id": "a", "operation": "create"}]
    created = store.get("a")["_createdAt"]
    out = store.mutate([{"createOrReplace": {"_id": "a", "_type": "t", "w": 2}}])
    assert out.results == [{"id": "a", "operation": "update"}]
    assert "v" not in store.get("a") and store.get("a")["_createdAt"] == created
    rev = store.get("a")["_rev"]
    out = store.mutate([{"createIfNotExists": {"_id": "a", "_type": "t", "x": 3}}])
    assert out.results == [{"id": "a", "operation": "update"}]  # what Sanity reports
    assert store.get("a")["_rev"] == rev and "x" not in store.get("a")


def test_conflicting_if_revision_id_rolls_back_whole_transaction() -> None:
    store = LakeStore()
    store.mutate([{"create": {"_id": "a", "_type": "t", "n": 1}}])
    rev = store.get("a")["_rev"]
    with pytest.raises(MutationFailure) as info:
        store.mutate(
            [
                {"create": {"_id": "new", "_type": "t"}},
                {"patch": {"id": "a", "set": {"n": 2}}},
                {"patch": {"id": "a", "ifRevisionID": "stale", "set": {"n": 3}}},
            ]
        )
    assert info.value.status == 409
    assert info.value.to_dict()["error"]["type"] == "mutationError"
    assert store.get("new") is None
    assert store.get("a")["n"] == 1 and store.get("a")["_rev"] == rev
    store.mutate([{"patch": {"id": "a", "ifRevisionID": rev, "set": {"n": 5}}}])
    assert store.get("a")["n"] == 5


@pytest.mark.parametrize(
    ("mutations", "status"),
    [
        ([{"patch": {"id": "missing", "set": {"a": 1}}}], 404),
        ([{"create": {"_id": "a"}}], 400),
        ([{"create": {"_id": "-bad", "_type": "t"}}], 400),
        ([{"create": {"_id": "a..b", "_type": "t"}}], 400),
        ([{"explode": {}}], 400),
        ([{"create": {}, "delete": {}}], 400),
        ("not a list", 400),
        ([{"delete": {}}], 400),
        ([{"patch": {"id": "x", "set": {"_id": "y"}}}], 404),
    ],
)
def test_invalid_mutations(mutations: object, status: int) -> None:
    store = LakeStore()
    with pytest.raises(MutationFailure) as info:
        store.mutate(mutations)  # type: ignore[arg-type]
    assert info.value.status == status
    assert len(store) == 0


def test_dry_run_reports_but_writes_nothing(tmp_path: Path) -> None:
    store = LakeStore(tmp_path / "l.sqlite3")
    out = store.mutate([{"create": {"_id": "a", "_type": "t"}}], dry_run=True)
    assert out.dry_run and out.results == [{"id": "a", "operation": "create"}]
    assert out.documents["a"]["_type"] == "t"
    assert store.get("a") is None
    assert LakeStore(tmp_path / "l.sqlite3").get("a") is None


def test_transaction_id_is_used_once() -> None:
    store = LakeStore()
    store.mutate([{"create": {"_id": "a", "_type": "t"}}], transaction_id="txn-1")
    assert store.get("a")["_rev"] == "txn-1"
    with pytest.raises(MutationFailure) as info:
        store.mutate([{"create": {"_id": "b", "_type": "t"}}], transaction_id="txn-1")
    assert info.value.status == 409


def test_delete_by_id_is_idempotent_and_auto_keys() -> None:
    store = LakeStore()
    out = store.mutate([{"delete": {"id": "nothing"}}])
    assert out.results == [{"id": "nothing", "operation": "delete"}]
    store.mutate(
        [{"create": {"_id": "a", "_type": "t", "items": [{"q": 1}]}}], auto_generate_array_keys=True
    )
    assert isinstance(store.get("a")["items"][0]["_key"], str)


def test_listeners_hear_committed_changes_only() -> None:
    store = LakeStore()
    heard = []
    store.subscribe(heard.append)
    store.mutate([{"create": {"_id": "a", "_type": "t"}}], dry_run=True)
    store.mutate([{"create": {"_id": "a", "_type": "t"}}])
    store.mutate([{"patch": {"id": "a", "set": {"x": 1}}}, {"delete": {"id": "gone"}}])
    store.mutate([{"delete": {"id": "a"}}])
    assert [[c.operation for c in t.changes] for t in heard] == [["create"], ["update"], ["delete"]]
    assert heard[2].changes[0].before["x"] == 1 and heard[2].changes[0].after is None


def test_put_documents_is_idempotent_and_replace_deletes_the_rest() -> None:
    store = LakeStore()
    docs = [{"_id": "a", "_type": "t", "_rev": "r1", "v": 1}, {"_id": "b", "_type": "t", "v": 2}]
    assert store.put_documents(docs) == (2, 0)
    rev_b = store.get("b")["_rev"]
    assert store.put_documents(docs) == (0, 0)
    assert store.get("a")["_rev"] == "r1" and store.get("b")["_rev"] == rev_b
    assert store.put_documents([docs[0]], replace=True) == (0, 1)
    assert store.get("b") is None


def test_perspective_views_overlay_drafts() -> None:
    docs = [
        {"_id": "a", "_type": "t", "title": "pub"},
        {"_id": "drafts.a", "_type": "t", "title": "draft"},
        {"_id": "drafts.b", "_type": "t", "title": "only draft"},
        {"_id": "versions.r1.a", "_type": "t", "title": "release"},
    ]
    assert {d["_id"] for d in _view(docs, "published", True)} == {"a"}
    drafts = {d["_id"]: d for d in _view(docs, "drafts", True)}
    assert drafts["a"]["title"] == "draft" and drafts["a"]["_originalId"] == "drafts.a"
    assert drafts["b"]["_originalId"] == "drafts.b"
    assert len(_view(docs, "raw", True)) == 4
    assert {d["_id"] for d in _view(docs, "raw", False)} == {"a"}
    assert {d["_id"] for d in _view(docs, "drafts", False)} == {"a"}


def test_concurrent_writers_are_serialised(tmp_path: Path) -> None:
    store = LakeStore(tmp_path / "c.sqlite3")
    store.mutate([{"create": {"_id": "n", "_type": "counter", "v": 0}}])

    def bump() -> None:
        for _ in range(20):
            store.mutate([{"patch": {"id": "n", "inc": {"v": 1}}}])

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("n")["v"] == 80
