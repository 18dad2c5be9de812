"""Parse errors carry Sanity's queryParseError shape and offsets; evaluation errors are typed."""

from __future__ import annotations

import pytest

from contentlake.groq import (
    GroqError,
    GroqParseError,
    GroqQueryError,
    GroqStepLimitError,
    evaluate,
    parse,
)


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ('*[_type == "event]', 11, 18),  # unterminated string: from its quote to the end
        ('*[_type == "a"', 14, 14),  # missing ] at the end of the query
        ("nosuchfunction(1)", 0, 17),  # the whole call
        ("count(1, 2)", 0, 11),  # wrong number of arguments
        ("1 => 2", 2, 4),  # a pair outside select() or a projection
        ('"a" .. "b"', 4, 6),  # a range outside `in` or a slice
        ("a == b == c", 7, 9),  # comparisons do not chain
        ('{"a": 1, 2}', 9, 10),  # no key can be derived for 2
        ("boost(a, 1)", 0, 11),  # boost() outside score()
        ('*[0..."x"]', 1, 10),  # slices take constant numbers
        ("*[_type == 'a'] | nosuch(x)", 18, 27),
        ("[1, 2", 5, 5),
        ("*[_id == 1] £", 12, 13),
    ],
)
def test_parse_errors_report_offsets(query: str, start: int, end: int) -> None:
    with pytest.raises(GroqParseError) as info:
        parse(query)
    assert isinstance(info.value, GroqError)
    shape = info.value.to_dict()
    assert shape == {
        "type": "queryParseError",
        "description": shape["description"],
        "start": start,
        "end": end,
        "query": query,
    }
    assert shape["description"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "*[",
        "select(true || (true => false))",
        "[1, true] | order(@ && true asc)",
        "3 in (1 + (2 .. 3))",
        "fn a::b($x, $y) = $x; 1",  # custom functions take one parameter
        "fn a::b($x) = [$x, $x]; 1",  # and use it once
        "fn a::b($x) = $x[]->{^.name}; 1",  # and do not reach outside themselves
        "fn a::b($x) = a::b($x); a::b(1)",  # nor call themselves
        "diff::changedAny({}, {}, foo + 1)",  # selectors are not expressions
        "*{foo} | score(a == 1)",
        'dateTime::now("x")',
    ],
)
def test_invalid_queries_fail_to_parse(query: str) -> None:
    with pytest.raises(GroqParseError):
        parse(query)


def test_evaluation_errors_are_query_errors() -> None:
    with pytest.raises(GroqQueryError, match=r"\$missing"):
        evaluate("*[_id == $missing]", [{"_id": "a"}])
    with pytest.raises(GroqQueryError, match=r"\$n"):
        evaluate("*[0...$n]", [])
    assert not issubclass(GroqQueryError, GroqParseError)


# --- the step budget: work bounded by what a query visits, not by the clock ----------------
DOCS = [{"_id": f"d{i}", "_type": "t", "n": i} for i in range(30)]
#: 30 documents tested by the outer filter, each testing all 30 again (30 + 30 * 30 steps),
#: then each of the 4 results mapped and projected (2 steps each).
NESTED = '*[count(*[n > ^.n]) > 25]{n, "m": n * 2}'
NESTED_STEPS = 30 + 30 * 30 + 4 * 2


def test_a_query_within_its_step_budget_runs_and_reports_its_steps() -> None:
    stats: dict[str, int] = {}
    result = evaluate(NESTED, DOCS, stats=stats, max_steps=10_000)
    assert result == [{"n": n, "m": 2 * n} for n in range(4)]
    assert stats["steps"] == NESTED_STEPS
    assert evaluate(NESTED, DOCS, max_steps=NESTED_STEPS) == result  # exactly enough


def test_a_query_over_its_step_budget_stops_with_a_typed_error() -> None:
    budget = NESTED_STEPS - 1
    with pytest.raises(GroqStepLimitError, match=f"more than {budget} evaluation steps") as info:
        evaluate(NESTED, DOCS, max_steps=budget)
    assert isinstance(info.value, GroqQueryError)
    assert evaluate(NESTED, DOCS) is not None  # no budget: unbounded, as before
