"""The lake's query endpoint through the real client and raw HTTP (needs the GROQ engine)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from storefront.sanity.errors import QueryParseError
from tests.contentlake.support import LIVE, PRODUCTS, TOKEN, Lake, needs_groq

needs_groq()

QUERY_URL = f"{LIVE}/v2025-02-19/data/query/production"


@pytest.fixture
def seeded(lake: Lake) -> Lake:
    lake.store.put_documents(
        [
            *PRODUCTS,
            {"_id": "drafts.p1", "_type": "product", "title": "Doom Tee (new)", "price": 2600},
            {"_id": "drafts.p9", "_type": "product", "title": "Unreleased", "price": 1},
        ]
    )
    return lake


def titles(result: list[dict]) -> list[str]:
    return sorted(d["title"] for d in result)


def test_query_with_params_and_envelope(seeded: Lake) -> None:
    client = seeded.client(token=None)
    result = client.query("*[_type == $type && price > $min]", {"type": "product", "min": 2600})
    assert titles(result) == ["Gloom Tee"]
    raw = client.query_raw('*[_id == "p1"][0].title', return_query=True)
    assert raw["result"] == "Doom Tee" and raw["query"] == '*[_id == "p1"][0].title'
    assert isinstance(raw["ms"], int) and isinstance(raw["syncTags"], list)
    assert "query" not in client.query_raw("count(*)")


def test_missing_documents_are_null_not_404(seeded: Lake) -> None:
    client = seeded.client(token=None)
    assert client.query('*[_id == "nope"][0]') is None
    assert client.query('*[_type == "nope"]') == []


def test_string_params_with_quotes_and_backslashes_round_trip(seeded: Lake) -> None:
    tricky = 'Tee "quoted" \\ slash'
    seeded.store.put_documents([{"_id": "t1", "_type": "product", "title": tricky}])
    assert seeded.client(token=None).query("*[title == $t][0]._id", {"t": tricky}) == "t1"


def test_get_param_that_is_not_json_is_400(seeded: Lake) -> None:
    response = seeded.http.get(f"{QUERY_URL}?query={quote('*[slug.current == $s]')}&$s=doom")
    assert response.status_code == 400
    assert "$s" in response.json()["error"]["description"]


def test_post_query_with_params(seeded: Lake) -> None:
    response = seeded.http.post(
        f"{QUERY_URL}?returnQuery=false",
        json={"query": "*[_id == $id][0].price", "params": {"id": "p2"}},
    )
    assert response.status_code == 200
    assert response.json()["result"] == 2700 and "query" not in response.json()


def test_long_query_goes_by_post_and_still_works(seeded: Lake) -> None:
    long_query = '*[_id == "p2"' + ' || _id == "zzzz"' * 800 + "][0].title"
    assert seeded.client(token=None).query(long_query) == "Gloom Tee"
    assert seeded.transport.requests[-1].method == "POST"


def test_parse_error_is_400_with_offsets(seeded: Lake) -> None:
    bad = '*[_type == "product"'
    response = seeded.http.get(f"{QUERY_URL}?query={quote(bad)}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "queryParseError" and error["query"] == bad
    assert isinstance(error["start"], int) and isinstance(error["description"], str)
    with pytest.raises(QueryParseError) as info:
        seeded.client(token=None).query(bad)
    assert info.value.start == error["start"] and info.value.end == error["end"]
    assert info.value.query == bad


def test_drafts_only_with_token_and_drafts_perspective(seeded: Lake) -> None:
    public = seeded.client(token=None)
    authed = seeded.client()
    q = '*[_type == "product"]'
    assert titles(public.query(q)) == ["Doom Tee", "Gloom Tee"]
    assert titles(public.query(q, perspective="drafts")) == ["Doom Tee", "Gloom Tee"]
    assert titles(public.query(q, perspective="raw")) == ["Doom Tee", "Gloom Tee"]
    assert titles(authed.query(q)) == ["Doom Tee", "Gloom Tee"]
    drafts = authed.query(q, perspective="drafts")
    assert titles(drafts) == ["Doom Tee (new)", "Gloom Tee", "Unreleased"]
    overlaid = next(d for d in drafts if d["title"] == "Doom Tee (new)")
    assert overlaid["_id"] == "p1" and overlaid["_originalId"] == "drafts.p1"
    assert len(authed.query(q, perspective="raw")) == 4


def test_default_perspective_depends_on_api_version(seeded: Lake) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    q = quote('count(*[_type == "product"])')
    new = seeded.http.get(f"{QUERY_URL}?query={q}", headers=headers).json()["result"]
    old_url = f"{LIVE}/v2021-10-21/data/query/production?query={q}"
    old = seeded.http.get(old_url, headers=headers).json()["result"]
    assert (new, old) == (2, 4)


def test_unknown_perspective_and_wrong_token(seeded: Lake) -> None:
    response = seeded.http.get(f"{QUERY_URL}?query=*&perspective=rA,rB")
    assert response.status_code == 400
    response = seeded.http.get(
        f"{QUERY_URL}?query=*", headers={"Authorization": "Bearer wrong-token"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "error": "Unauthorized",
        "message": "Session not found",
    }


def test_writes_are_visible_to_the_next_query(seeded: Lake) -> None:
    client = seeded.client()
    client.mutate([{"patch": {"id": "p2", "set": {"price": 100}}}])
    assert client.query('*[_id == "p2"][0].price', use_cdn=False) == 100
    client.mutate([{"delete": {"id": "p2"}}])
    assert client.query('*[_id == "p2"][0]') is None


def test_delete_and_patch_by_query(seeded: Lake) -> None:
    client = seeded.client()
    out = client.mutate(
        [
            {
                "patch": {
                    "query": '*[_type == "product" && price < $p]',
                    "params": {"p": 2600},
                    "inc": {"price": 10},
                }
            }
        ]
    )
    assert {r["id"] for r in out["results"]} == {"p1", "drafts.p9"}
    assert seeded.store.get("p1")["price"] == 2510
    out = client.mutate([{"delete": {"query": '*[_type == "product"]'}}])
    assert {r["operation"] for r in out["results"]} == {"delete"}
    assert client.query('count(*[_type == "product"])', perspective="raw") == 0
    assert seeded.store.get("c1") is not None


def test_query_errors_in_mutations_are_400(seeded: Lake) -> None:
    response = seeded.http.post(
        f"{LIVE}/v2025-02-19/data/mutate/production",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"mutations": [{"delete": {"query": "*[_type == "}}]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "mutationError"


def test_invalid_json_body_is_reported(seeded: Lake) -> None:
    response = seeded.http.post(QUERY_URL, content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "httpInvalidRequestBody"
    assert json.loads(seeded.http.post(QUERY_URL, json={}).content)["error"]


def test_readers_never_see_half_a_transaction(lake: Lake) -> None:
    import threading

    lake.store.put_documents(
        [{"_id": "a", "_type": "acct", "v": 100}, {"_id": "b", "_type": "acct", "v": 0}]
    )
    totals: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            docs = lake.store.query('*[_type == "acct"]', perspective="raw")
            totals.append(sum(d["v"] for d in docs))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for _ in range(15):
        lake.store.mutate(
            [{"patch": {"id": "a", "dec": {"v": 1}}}, {"patch": {"id": "b", "inc": {"v": 1}}}]
        )
    done.set()
    for thread in readers:
        thread.join()
    assert totals and set(totals) == {100}
    assert lake.store.get("b")["v"] == 15
