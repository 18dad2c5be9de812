"""GROQ's value rules: nulls, mixed types, traversal mapping, ordering, literals, functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contentlake.groq import evaluate


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1 == null", False),
        ("null == null", True),
        ("null != null", False),
        ('1 < "a"', None),  # mixed types compare to null, not false
        ("[] == []", False),
        ("{} == {}", False),
        ("true && null", None),
        ("false && null", False),
        ("true || null", True),
        ("false || null", None),
        ("!null", None),
        ('"a" + 1', None),
        ('"a" + "b"', "ab"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ('{"a": 1} + {"b": 2}', {"a": 1, "b": 2}),
        ("2 ** 10 % 1000", 24),
        ("-7 % 3", -1),
        ("7 / 2", 3.5),
        ("1 / 0", None),
        ("-2 ** 2", -4),
        ("3 in 1..5", True),
        ("5 in 1...5", False),
        ('"b" in ["a", "b"]', True),
        ("2 in (1 .. 4)", True),
        ('"a.b" in path("a.*")', True),
        ('"a.b.c" in path("a.*")', False),
        ("1e3 + 2.5E-1", 1000.25),
    ],
)
def test_operators(query: str, expected: object) -> None:
    assert evaluate(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("[1, 2, 3][5]", None),
        ("[1, 2, 3][-1]", 3),
        ("[1, 2, 3][1..9]", [2, 3]),
        ("[1, 2, 3][-2..-1]", [2, 3]),
        ("[1, 2, 3][0...-1]", [1, 2]),
        ("[1, 2, 3][5..9]", []),
        ('{"a": {"b": 1}}.a.b', 1),
        ('{"a": 1}["a"]', 1),
        ("[[1, 2], [3]][]", [[1, 2], [3]]),
        ('[{"a": [1, 2]}, {"a": [3]}][].a[]', [1, 2, 3]),
        ('[{"a": [1, 2]}, {"a": [3]}].a', [[1, 2], [3]]),
        ('[{"n": 1}, {"n": 2}][n > 1].n', [2]),
        ('[{"n": 1}, {"n": 2}]{"m": n * 10}', [{"m": 10}, {"m": 20}]),
        ('[[1, 2], [3, 4]][]{"v": @}', [None, None]),
        ("[1, ...[2, 3], ...null]", [1, 2, 3]),
        ("count([1, null, 3])", 3),
        ("count(null)", None),
    ],
)
def test_traversals(query: str, expected: object) -> None:
    assert evaluate(query) == expected


def test_order_uses_groqs_total_order_and_is_stable() -> None:
    docs = [
        {"_id": "s", "v": "b"},
        {"_id": "n", "v": 2},
        {"_id": "t", "v": True},
        {"_id": "m"},
        {"_id": "d", "v": 1},
        {"_id": "x", "v": "a"},
    ]
    assert evaluate("*|order(v)._id", docs) == ["d", "n", "x", "s", "t", "m"]
    assert evaluate("*|order(v desc)._id", docs) == ["m", "t", "s", "x", "n", "d"]
    assert evaluate("*|order(defined(v), _id desc)._id", docs) == [
        "m",
        "x",
        "t",
        "s",
        "n",
        "d",
    ]


def test_scopes_this_parent_and_grandparent() -> None:
    query = '[{"k": 1, "xs": [{"ys": [1, 2]}]}][]{"out": xs[]{"o": ys[@ > ^.^.k]}}'
    assert evaluate(query) == [{"out": [{"o": [2]}]}]
    assert evaluate("[1, 2, 3][@ >= 2]") == [2, 3]


def test_string_literals_and_escapes() -> None:
    assert evaluate(r'"tab\tquote\" \u00e9 \ud83d\ude00"') == 'tab\tquote" é 😀'
    assert evaluate(r"'single \'quoted\''") == "single 'quoted'"
    assert evaluate('length("😀a")') == 2


def test_match_tokenises_and_supports_wildcards() -> None:
    assert evaluate('"Compost happens, mostly." match "compost"') is True
    assert evaluate('"Compost happens" match ["happ*", "COMPOST"]') is True
    assert evaluate('"Compost happens" match "compost worms"') is False
    assert evaluate('"ding.dong" match "dingdong"') is True
    assert evaluate('["a b", "c"] match "c"') is True
    assert evaluate('null match "x"') is False


def test_functions() -> None:
    assert evaluate('coalesce(null, missing, "x", "y")') == "x"
    assert evaluate('select(1 > 2 => "no", 2 > 1 => "yes", "default")') == "yes"
    assert evaluate('select(false => "no", "default")') == "default"
    assert evaluate("[round(2.5), round(-2.5), round(3.14159, 2)]") == [3, -3, 3.14]
    assert evaluate('[lower("ÀB"), upper("ab"), string(12), string(1.5), string(true)]') == [
        "àb",
        "AB",
        "12",
        "1.5",
        "true",
    ]
    assert evaluate('array::join(["a", 1, true], "-")') == "a-1-true"
    assert evaluate("array::compact([1, null, 2])") == [1, 2]
    assert evaluate('array::unique([1, 1, "1", 2])') == [1, "1", 2]
    assert evaluate("array::intersects([1, 2], [2, 3])") is True
    assert evaluate('string::split("a,b", ",")') == ["a", "b"]
    assert evaluate('string::startsWith("compost", "comp")') is True
    assert evaluate("[math::sum([1, 2]), math::avg([1, 2]), math::min([3, 1]), math::max([])]") == [
        3,
        1.5,
        1,
        None,
    ]
    assert evaluate('math::sum([1, "2"])') is None
    assert evaluate('defined(null) == false && defined("") == true') is True


def test_datetimes_compare_and_add_seconds() -> None:
    assert evaluate('dateTime("2026-01-01T00:00:00Z") + 3600') == "2026-01-01T01:00:00Z"
    assert evaluate('60 + dateTime("2026-01-01T00:00:00Z")') == "2026-01-01T00:01:00Z"
    assert (
        evaluate('dateTime("2026-01-02T00:00:00Z") - dateTime("2026-01-01T00:00:00+01:00")')
        == 90000
    )
    assert evaluate('dateTime("2026-01-01T00:00:00Z") < dateTime("2026-01-01T00:00:01Z")') is True
    assert evaluate('dateTime("not a date")') is None
    fixed = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert evaluate("now()", now=fixed) == "2026-11-22T12:00:00Z"
    assert evaluate('dateTime::now() > dateTime("2026-01-01T00:00:00Z")', now=fixed) is True


def test_identity_sanity_and_portable_text() -> None:
    assert evaluate("identity()") == "me"
    assert evaluate("identity()", identity="editor-7") == "editor-7"
    assert evaluate("[sanity::projectId(), sanity::dataset()]", sanity={"projectId": "p1"}) == [
        "p1",
        None,
    ]
    blocks = [
        {"_type": "block", "children": [{"_type": "span", "text": "One"}]},
        {"_type": "image"},
        {"_type": "block", "children": [{"_type": "span", "text": "Two"}]},
    ]
    assert evaluate("pt::text($b)", params={"b": blocks}) == "One\n\nTwo"


def test_diff_and_delta_functions() -> None:
    before = {"title": "a", "tags": ["x"], "price": 1}
    after = {"title": "a", "tags": ["x", "y"], "price": 1}
    params = {"a": before, "b": after}
    assert evaluate("diff::changedAny($a, $b, title)", params=params) is False
    assert evaluate("diff::changedAny($a, $b, (title, tags))", params=params) is True
    assert evaluate("diff::changedOnly($a, $b, tags)", params=params) is True
    assert evaluate("diff::changedOnly($a, $b, title)", params=params) is False
    delta = {"before": before, "after": after}
    assert evaluate("delta::changedAny(tags)", delta=delta) is True
    assert evaluate("[before().title, after().tags[1], delta::operation()]", delta=delta) == [
        "a",
        "y",
        "update",
    ]
    assert evaluate("[before(), delta::operation()]") == [None, None]


def test_subquery_without_parent_reference_runs_once_per_query() -> None:
    docs = [{"_id": str(i), "_type": "n", "v": i} for i in range(200)]
    stats: dict[str, int] = {}
    result = evaluate('*[_type == "n" && v in *[_type == "n" && v < 3].v]._id', docs, stats=stats)
    assert result == ["0", "1", "2"]
    assert stats["scanned"] == 400  # the outer scan and the inner one, once each
