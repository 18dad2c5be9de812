from __future__ import annotations

from typing import Any

import pytest

from contentlake.patches import PatchError, add_array_keys, apply_patch
from contentlake.paths import Attr, Index, Match, PathError, Wildcard, parse_path


def doc() -> dict[str, Any]:
    return {
        "_id": "x",
        "_type": "cart",
        "title": "T",
        "tags": ["a", "b", "c"],
        "items": [{"_key": "k1", "qty": 1}, {"_key": "k2", "qty": 5}],
        "meta": {"views": 10},
    }


def test_parse_paths() -> None:
    assert parse_path('items[_key=="k1"].qty') == [Attr("items"), Match("_key", "k1"), Attr("qty")]
    assert parse_path("tags[-1]") == [Attr("tags"), Index(-1)]
    assert parse_path("a.b.c") == [Attr("a"), Attr("b"), Attr("c")]
    assert parse_path("arr[*]") == [Attr("arr"), Wildcard()]
    assert parse_path("items[_key=='k']") == [Attr("items"), Match("_key", "k")]
    for bad in ("", "a[", "a..b[?x]", "a[foo bar]"):
        with pytest.raises(PathError):
            parse_path(bad)


def test_set_creates_intermediate_objects_and_keyed_items() -> None:
    out = apply_patch(doc(), {"set": {"seo.title": "S", 'items[_key=="k2"].qty': 7}})
    assert out["seo"] == {"title": "S"}
    assert out["items"][1]["qty"] == 7
    assert doc()["items"][1]["qty"] == 5  # input untouched


def test_set_if_missing_only_fills_absent_values() -> None:
    out = apply_patch(doc(), {"setIfMissing": {"title": "no", "stock": 3}})
    assert out["title"] == "T"
    assert out["stock"] == 3


def test_unset_keyed_index_and_attr() -> None:
    out = apply_patch(doc(), {"unset": ['items[_key=="k1"]', "tags[0]", "meta.views", "nope"]})
    assert out["items"] == [{"_key": "k2", "qty": 5}]
    assert out["tags"] == ["b", "c"]
    assert out["meta"] == {}


def test_inc_dec_on_keyed_paths_ignore_non_numbers() -> None:
    out = apply_patch(
        doc(), {"inc": {'items[_key=="k1"].qty': 2, "title": 1}, "dec": {"meta.views": 3}}
    )
    assert out["items"][0]["qty"] == 3
    assert out["title"] == "T"
    assert out["meta"]["views"] == 7


def test_operations_run_in_sanitys_order() -> None:
    # set runs before inc even though inc is written first
    out = apply_patch(doc(), {"inc": {"n": 1}, "set": {"n": 10}, "unset": ["n2"]})
    assert out["n"] == 11


@pytest.mark.parametrize(
    ("insert", "expected"),
    [
        ({"after": "tags[-1]", "items": ["z"]}, ["a", "b", "c", "z"]),
        ({"before": "tags[0]", "items": ["z"]}, ["z", "a", "b", "c"]),
        ({"after": "tags[0]", "items": ["y", "z"]}, ["a", "y", "z", "b", "c"]),
        ({"replace": "tags[1]", "items": ["B"]}, ["a", "B", "c"]),
    ],
)
def test_insert_positions(insert: dict[str, Any], expected: list[str]) -> None:
    assert apply_patch(doc(), {"insert": insert})["tags"] == expected


def test_insert_on_keyed_item_and_into_empty_array() -> None:
    out = apply_patch(
        doc(), {"insert": {"after": 'items[_key=="k1"]', "items": [{"_key": "n", "qty": 0}]}}
    )
    assert [i["_key"] for i in out["items"]] == ["k1", "n", "k2"]
    empty = {"_id": "e", "_type": "t", "tags": []}
    assert apply_patch(empty, {"insert": {"after": "tags[-1]", "items": [1]}})["tags"] == [1]


@pytest.mark.parametrize(
    "patch",
    [
        {"set": {"_id": "other"}},
        {"set": {"_rev": "r"}},
        {"unset": "title"},
        {"inc": {"meta.views": "1"}},
        {"insert": {"after": "tags", "items": [1]}},
        {"insert": {"before": "tags[0]", "after": "tags[0]", "items": [1]}},
        {"diffMatchPatch": {"title": "@@"}},
        {"frobnicate": {}},
    ],
)
def test_bad_patches_raise(patch: dict[str, Any]) -> None:
    with pytest.raises(PatchError):
        apply_patch(doc(), patch)


def test_add_array_keys_only_where_missing() -> None:
    value = {"a": [{"x": 1}, {"_key": "keep"}, "str"], "b": {"c": [{"y": 2}]}}
    add_array_keys(value)
    assert value["a"][1]["_key"] == "keep"
    assert isinstance(value["a"][0]["_key"], str)
    assert "_key" in value["b"]["c"][0]
