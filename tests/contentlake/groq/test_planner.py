"""Filters on ``*`` use the dataset's indexes and return exactly what a full scan returns."""

from __future__ import annotations

from typing import Any

import pytest

from contentlake.groq import Dataset, evaluate

from .conftest import shop_documents

INDEXED = [
    ('*[_type == "product" && slug.current == $slug][0]{title}', {"slug": "planet"}, 1),
    ("*[_id == $id]", {"id": "product-moth"}, 1),
    ("*[$id == _id]._id", {"id": "product-moth"}, 1),
    ("*[_id in $ids]._id", {"ids": ["inventory-u2", "category-grim", "nope"]}, 2),
    ('*[_type in ["category", "design"]]._id', {}, 3),
    ("*[references($id)]._id", {"id": "category-soft"}, 2),
    ('*[_type == "product" && references($id)]._id', {"id": "design-compost"}, 1),
    ('*[(_type == "product") && published == true]._id', {}, 4),
    ('count(*[_type == "inventory" && available])', {}, 2),
    ('*[_type == "nothing" && title match "x"]', {}, 0),
]


@pytest.mark.parametrize(("query", "params", "candidates"), INDEXED)
def test_indexed_filters_look_only_at_candidates(
    shop: Dataset, scan_only: Dataset, query: str, params: dict[str, Any], candidates: int
) -> None:
    stats: dict[str, int] = {}
    result = evaluate(query, shop, params, stats=stats)
    assert stats == {"scanned": candidates, "indexed": 1}
    scan: dict[str, int] = {}
    assert evaluate(query, scan_only, params, stats=scan) == result  # same values, same order
    assert scan == {"scanned": len(shop_documents()), "indexed": 0}


@pytest.mark.parametrize(
    "query",
    [
        '*[_type == "product" || _id == "x"]',  # a disjunction needs every document
        "*[_type == null]",  # == null also matches documents without the field
        "*[title == $t]",  # not an indexed path
        '*[defined(slug)]["title"]',
    ],
)
def test_filters_the_indexes_cannot_answer_scan(shop: Dataset, query: str) -> None:
    stats: dict[str, int] = {}
    evaluate(query, shop, {"t": "x"}, stats=stats)
    assert stats == {"scanned": len(shop_documents()), "indexed": 0}


def test_results_keep_dataset_order_not_parameter_order(shop: Dataset) -> None:
    ids = ["product-planet", "category-soft", "product-compost"]
    assert evaluate("*[_id in $ids]._id", shop, {"ids": ids}) == [
        "category-soft",
        "product-compost",
        "product-planet",
    ]


def test_put_replaces_in_place_appends_new_and_delete_removes() -> None:
    ds = Dataset(
        [
            {"_id": "a", "_type": "x", "slug": {"current": "a"}},
            {"_id": "b", "_type": "x", "tag": {"_ref": "a"}},
        ]
    )
    ds.put({"_id": "a", "_type": "y", "slug": {"current": "a2"}})
    ds.put({"_id": "c", "_type": "x", "tag": {"_ref": "a"}})
    assert [d["_id"] for d in ds.documents] == ["a", "b", "c"]
    assert evaluate('*[_type == "x"]._id', ds) == ["b", "c"]
    assert evaluate('*[_type == "y"]._id', ds) == ["a"]
    assert evaluate('*[slug.current == "a"]._id', ds) == []
    assert evaluate('*[slug.current == "a2"]._id', ds) == ["a"]
    assert evaluate('*[references("a")]._id', ds) == ["b", "c"]
    ds.put({"_id": "b", "_type": "x"})  # b no longer references a
    assert evaluate('*[references("a")]._id', ds) == ["c"]
    assert ds.delete("c") is True
    assert ds.delete("c") is False
    assert evaluate('*[references("a")]._id', ds) == []
    assert evaluate("*._id", ds) == ["a", "b"]
    assert ds.get("c") is None
    assert ds.get("a") == {"_id": "a", "_type": "y", "slug": {"current": "a2"}}
    assert len(ds) == 2


def test_many_deletes_compact_and_keep_indexes_right() -> None:
    ds = Dataset({"_id": f"d{i:03}", "_type": "even" if i % 2 == 0 else "odd"} for i in range(300))
    for i in range(0, 300, 3):
        ds.delete(f"d{i:03}")
    for i in range(1, 300, 3):
        ds.delete(f"d{i:03}")
    expected = [f"d{i:03}" for i in range(2, 300, 3) if i % 2 == 0]
    assert evaluate('*[_type == "even"]._id', ds) == expected
    assert evaluate("count(*)", ds) == 100
    ds.put({"_id": "d000", "_type": "even"})
    assert evaluate('*[_type == "even"]._id', ds)[-1] == "d000"


def test_documents_need_a_string_id() -> None:
    with pytest.raises(ValueError, match="_id"):
        Dataset([{"_type": "x"}])


def test_dereference_uses_the_primary_key(shop: Dataset) -> None:
    stats: dict[str, int] = {}
    assert evaluate('*[_id == "product-compost"][0].design->title', shop, stats=stats) == (
        "Compost Happens"
    )
    assert stats["scanned"] == 1
