"""The shop's query shapes, GROQ's null and type rules, parse errors and index use."""

import pytest

from contentlake.groq import Dataset, GroqParseError, GroqQueryError, evaluate, parse

DOCS = [
    {"_id": "category-grim", "_type": "category", "title": "Grim", "slug": {"current": "grim"}},
    {
        "_id": "design-compost",
        "_type": "design",
        "title": "Compost Happens",
        "story": [
            {
                "_type": "block",
                "children": [{"_type": "span", "text": "Rot "}, {"_type": "span", "text": "well."}],
            }
        ],
    },
    {
        "_id": "product-compost",
        "_type": "product",
        "title": "Compost Happens Tee",
        "slug": {"current": "compost-happens"},
        "basePrice": 2900,
        "published": True,
        "design": {"_type": "reference", "_ref": "design-compost"},
        "categories": [{"_key": "a", "_type": "reference", "_ref": "category-grim"}],
        "colours": [{"name": "Black"}, {"name": "Bone"}],
        "sizes": ["S", "M"],
        "variants": [
            {"_key": "b-s", "size": "S", "colour": "Black", "productUid": "u1"},
            {"_key": "b-m", "size": "M", "colour": "Black", "productUid": "u2"},
            {"_key": "x", "size": "M", "colour": "Bone"},
        ],
    },
    {
        "_id": "product-planet",
        "_type": "product",
        "title": "The Planet Is Fine",
        "slug": {"current": "planet"},
        "basePrice": 3100,
        "published": True,
        "featured": True,
        "colours": [{"name": "White"}],
        "sizes": ["M"],
        "variants": [],
    },
    {"_id": "drafts.product-planet", "_type": "product", "title": "Draft planet"},
]
DATASET = Dataset(DOCS)


def q(text: str, **params):  # type: ignore[no-untyped-def]
    return evaluate(text, DATASET, params)


def test_product_page_shape() -> None:
    result = q(
        '*[_type == "product" && slug.current == $slug][0]{'
        'title, "design": design->{title, "text": pt::text(story)},'
        '"categories": categories[]->title, "uids": variants[defined(productUid)].productUid,'
        '"sizes": variants[colour == "Black"].size}',
        slug="compost-happens",
    )
    assert result == {
        "title": "Compost Happens Tee",
        "design": {"title": "Compost Happens", "text": "Rot well."},
        "categories": ["Grim"],
        "uids": ["u1", "u2"],
        "sizes": ["S", "M"],
    }


def test_listing_filters_order_and_slice() -> None:
    result = q(
        '*[_type == "product" && published && ($colour == null || $colour in colours[].name)]'
        ' | order(basePrice desc) [0...1]{title, "total": count(variants)}',
        colour=None,
    )
    assert result == [{"title": "The Planet Is Fine", "total": 0}]
    assert q('count(*[_type == "product" && references($c)])', c="category-grim") == 1


def test_search_with_match_and_score() -> None:
    result = q(
        '*[_type == "product" && title match $q] | score(title match $q){title, _score}',
        q="compost*",
    )
    assert [r["title"] for r in result] == ["Compost Happens Tee"]
    assert result[0]["_score"] > 0


def test_conditional_projection_spread_and_custom_functions() -> None:
    result = q(
        'fn shop::label($p) = $p.title + "!";'
        '*[_id == "product-planet"][0]{..., featured == true => {"badge": "hot"},'
        ' "label": shop::label(@)}'
    )
    assert result["badge"] == "hot"
    assert result["label"] == "The Planet Is Fine!"
    assert result["basePrice"] == 3100


def test_null_and_type_rules() -> None:
    assert evaluate("1 == null") is False
    assert evaluate("null == null") is True
    assert evaluate('1 < "a"') is None
    assert evaluate("[] == []") is False
    assert evaluate("true && null") is None
    assert evaluate("false && null") is False
    assert evaluate("[1, 2, 3][5]") is None
    assert evaluate("[1, 2, 3][1..9]") == [2, 3]
    assert evaluate('"a" + 1') is None
    assert evaluate("2 ** 10 % 1000") == 24


def test_parse_errors_carry_offsets() -> None:
    with pytest.raises(GroqParseError) as info:
        parse('*[_type == "event]')
    error = info.value.to_dict()
    assert error["type"] == "queryParseError"
    assert error["start"] == 11
    with pytest.raises(GroqParseError) as unknown:
        parse("nosuchfunction(1)")
    assert unknown.value.start == 0
    with pytest.raises(GroqQueryError):
        evaluate("*[_id == $missing]", DATASET)


def test_indexes_are_used_and_give_the_scan_result() -> None:
    query = '*[_type == "product" && slug.current == $slug]{title}'
    stats: dict[str, int] = {}
    indexed = evaluate(query, DATASET, {"slug": "planet"}, stats=stats)
    assert stats == {"scanned": 1, "indexed": 1}
    scan_stats: dict[str, int] = {}
    plain = evaluate(query, Dataset(DOCS, indexed_paths=()), {"slug": "planet"}, stats=scan_stats)
    assert indexed == plain == [{"title": "The Planet Is Fine"}]
    assert scan_stats["scanned"] == len(DOCS)
    refs: dict[str, int] = {}
    assert evaluate('*[references("design-compost")]._id', DATASET, stats=refs) == [
        "product-compost"
    ]
    assert refs["scanned"] == 1


def test_dataset_put_and_delete_keep_indexes_right() -> None:
    ds = Dataset([{"_id": "a", "_type": "x"}, {"_id": "b", "_type": "x"}])
    ds.put({"_id": "a", "_type": "y"})
    assert evaluate('*[_type == "x"]._id', ds) == ["b"]
    assert evaluate('*[_type == "y"]._id', ds) == ["a"]
    ds.delete("b")
    assert evaluate('*[_type == "x"]._id', ds) == []
    assert evaluate("*[true]._id", ds) == ["a"]


def test_uncorrelated_subquery_runs_once() -> None:
    docs = [{"_id": str(i), "_type": "n", "v": i} for i in range(300)]
    stats: dict[str, int] = {}
    result = evaluate(
        '*[_type == "n" && v in *[_type == "n" && v < 3].v]._id', Dataset(docs), stats=stats
    )
    assert result == ["0", "1", "2"]
    assert stats["scanned"] <= 300 + 300  # the inner query once, not 300 times
