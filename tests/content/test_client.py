"""The Sanity client: wire format, retries, error mapping (MockTransport), and the same client
against the lake (WSGITransport) for mutations, documents and uploads."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from storefront.sanity.client import QUERY_SIZE_LIMIT, SanityClient, encode_query_params
from storefront.sanity.errors import (
    AuthError,
    ConflictError,
    ContentError,
    ContentUnavailable,
    MutationError,
    QueryParseError,
    RateLimited,
)
from tests.contentlake.support import CDN, LIVE, TOKEN, Lake, make_lake, png_bytes


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[Lake]:
    lake = make_lake(tmp_path)
    yield lake
    lake.close()


def mock_client(
    handler: Any, token: str | None = None, sleeps: list[float] | None = None
) -> SanityClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    recorded = sleeps if sleeps is not None else []
    return SanityClient(
        LIVE, CDN, "p", "production", "2025-02-19", token, http=http, sleep=recorded.append
    )


def envelope(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"ms": 1, "result": result, "syncTags": []})


# --- wire format ---------------------------------------------------------------------------------
def test_params_are_json_encoded_with_explicit_perspective() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return envelope([])

    client = mock_client(handler)
    tricky = 'say "hi" \\ bye'
    client.query("*[title == $t && n == $n]", {"t": tricky, "n": 3, "ok": True, "l": [1, "x"]})
    url = seen[0].url
    assert url.host == "cdn.lake.test" and seen[0].method == "GET"
    assert url.path == "/v2025-02-19/data/query/production"
    query = parse_qs(urlsplit(str(url)).query)
    assert json.loads(query["$t"][0]) == tricky
    assert query["$n"] == ["3"] and query["$ok"] == ["true"] and query["$l"] == ['[1,"x"]']
    assert query["perspective"] == ["published"] and query["returnQuery"] == ["false"]
    assert "Authorization" not in seen[0].headers


def test_long_queries_switch_to_post_with_plain_params() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return envelope(1)

    client = mock_client(handler)
    short = "*[_type == $t]" + " " * 100
    client.query(short, {"t": "x"})
    long_query = "*[_type == $t" + " || true" * (QUERY_SIZE_LIMIT // 8) + "]"
    assert len(encode_query_params(long_query, {"t": "x"}, {})) > QUERY_SIZE_LIMIT
    client.query(long_query, {"t": "x"}, perspective="raw", tag="shop.search")
    assert [r.method for r in seen] == ["GET", "POST"]
    body = json.loads(seen[1].content)
    assert body == {"query": long_query, "params": {"t": "x"}}
    options = parse_qs(seen[1].url.query.decode())
    assert options == {"perspective": ["raw"], "returnQuery": ["false"], "tag": ["shop.search"]}


def test_cdn_only_for_public_non_draft_reads() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return envelope(None)

    public = mock_client(handler)
    public.query("*[0]")
    public.query("*[0]", perspective="drafts")
    public.query("*[0]", use_cdn=False)
    authed = mock_client(handler, token="tok")
    authed.query("*[0]")
    assert hosts == ["cdn.lake.test", "lake.test", "lake.test", "lake.test"]


# --- retries -------------------------------------------------------------------------------------
def test_queries_retry_on_503_then_succeed_with_backoff() -> None:
    statuses = [503, 502, 429]
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(statuses.pop(0)) if statuses else envelope("ok")

    sleeps: list[float] = []
    client = mock_client(handler, sleeps=sleeps)
    assert client.query("*") == "ok"
    assert len(calls) == 4 and client.retries_made == 3
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.3 and 0.4 <= sleeps[2] <= 0.5


def test_retries_are_bounded() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, json={"statusCode": 429, "error": "Too Many", "message": "slow"})

    client = mock_client(handler)
    with pytest.raises(RateLimited) as info:
        client.query("*")
    assert len(calls) == 6 and info.value.retryable and info.value.status_code == 429


def test_network_errors_are_retried_then_unavailable() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    client = mock_client(handler)
    with pytest.raises(ContentUnavailable):
        client.query("*")
    assert len(calls) == 6


def test_500_and_400_are_not_retried_for_queries() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500, text="<html>oops</html>")

    with pytest.raises(ContentUnavailable) as info:
        mock_client(handler).query("*")
    assert len(calls) == 1 and "oops" in info.value.message


def test_mutations_are_never_retried_on_http_errors() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, json={"error": {"description": "down"}})

    client = mock_client(handler, token="t")
    with pytest.raises(ContentUnavailable):
        client.mutate([{"create": {"_type": "x"}}])
    assert len(calls) == 1 and calls[0].method == "POST"


# --- error mapping -------------------------------------------------------------------------------
def test_query_parse_error_keeps_offsets_and_trace_id() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "error": {
                "type": "queryParseError",
                "description": 'unexpected token "\\"event]", expected expression',
                "start": 11,
                "end": 18,
                "query": '*[_type == "event]',
            }
        }
        return httpx.Response(
            400, json=body, headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f0-01"}
        )

    with pytest.raises(QueryParseError) as info:
        mock_client(handler).query('*[_type == "event]')
    error = info.value
    assert (error.start, error.end, error.query) == (11, 18, '*[_type == "event]')
    assert error.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and error.status_code == 400


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            401,
            {"statusCode": 401, "error": "Unauthorized", "message": "Session not found"},
            AuthError,
        ),
        (403, {"error": {"description": "forbidden"}}, AuthError),
        (
            409,
            {"error": {"type": "mutationError", "description": "rev", "items": []}},
            ConflictError,
        ),
        (
            400,
            {"error": {"type": "mutationError", "description": "bad", "items": [1]}},
            MutationError,
        ),
        (404, {"statusCode": 404, "error": "Not Found", "message": "nope"}, ContentError),
    ],
)
def test_error_shapes_map_to_typed_errors(status: int, body: Any, kind: type) -> None:
    client = mock_client(lambda request: httpx.Response(status, json=body), token="t")
    with pytest.raises(kind) as info:
        client.mutate([])
    assert type(info.value) is kind
    assert info.value.status_code == status


# --- against the lake ----------------------------------------------------------------------------
def test_mutate_needs_the_configured_token(lake: Lake) -> None:
    with pytest.raises(AuthError) as info:
        lake.client(token=None).mutate([{"create": {"_id": "a", "_type": "t"}}])
    assert info.value.status_code == 401
    with pytest.raises(AuthError):
        lake.client(token="wrong").mutate([{"create": {"_id": "a", "_type": "t"}}])
    assert len(lake.store) == 0


def test_any_token_is_accepted_when_none_is_configured(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, token=None)
    try:
        out = lake.client(token="whatever").mutate([{"create": {"_id": "a", "_type": "t"}}])
        assert out["results"] == [{"id": "a", "operation": "create"}]
    finally:
        lake.close()


def test_mutation_response_shape_and_return_documents(lake: Lake) -> None:
    client = lake.client()
    out = client.mutate(
        [{"create": {"_id": "a", "_type": "t", "n": 1}}, {"patch": {"id": "a", "inc": {"n": 1}}}],
        return_documents=True,
        transaction_id="my-txn",
    )
    assert out["transactionId"] == "my-txn"
    assert [(r["id"], r["operation"]) for r in out["results"]] == [("a", "create"), ("a", "update")]
    assert out["results"][0]["document"]["n"] == 2
    assert out["documentIds"] == ["a", "a"]
    request = lake.transport.requests[-1]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert parse_qs(request.url.query.decode())["returnIds"] == ["true"]


def test_keyed_patches_over_http(lake: Lake) -> None:
    client = lake.client()
    client.mutate(
        [{"create": {"_id": "cart", "_type": "t", "items": [{"_key": "a", "qty": 1}], "n": 1}}]
    )
    client.mutate(
        [
            {
                "patch": {
                    "id": "cart",
                    "inc": {'items[_key=="a"].qty': 2},
                    "unset": ["n"],
                    "insert": {"after": 'items[_key=="a"]', "items": [{"qty": 9}]},
                }
            }
        ],
        auto_generate_array_keys=True,
    )
    items = lake.store.get("cart")["items"]
    assert items[0] == {"_key": "a", "qty": 3}
    assert items[1]["qty"] == 9 and items[1]["_key"]
    assert "n" not in lake.store.get("cart")
    with pytest.raises(MutationError) as info:
        client.mutate([{"patch": {"id": "cart", "inc": {"n": "x"}}}])
    assert info.value.status_code == 400 and info.value.items


def test_dry_run_over_http_changes_nothing(lake: Lake) -> None:
    out = lake.client().mutate([{"create": {"_id": "a", "_type": "t"}}], dry_run=True)
    assert out["results"] == [{"id": "a", "operation": "create"}]
    assert lake.store.get("a") is None


def test_revision_conflict_is_409_mutation_error_and_atomic(lake: Lake) -> None:
    client = lake.client()
    client.mutate([{"create": {"_id": "a", "_type": "t", "n": 1}}])
    response = lake.http.post(
        f"{LIVE}/v2025-02-19/data/mutate/production",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={
            "mutations": [
                {"create": {"_id": "b", "_type": "t"}},
                {"patch": {"id": "a", "ifRevisionID": "stale", "set": {"n": 9}}},
            ]
        },
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "mutationError"
    assert error["items"][0]["error"]["id"] == "a"
    assert "revision" in error["items"][0]["error"]["description"]
    with pytest.raises(ConflictError):
        client.mutate(
            [{"create": {"_id": "b", "_type": "t"}}, {"create": {"_id": "a", "_type": "t"}}]
        )
    assert lake.store.get("b") is None and lake.store.get("a")["n"] == 1


def test_get_documents_reports_omitted(lake: Lake) -> None:
    lake.client().mutate(
        [{"create": {"_id": "a", "_type": "t"}}, {"create": {"_id": "drafts.a", "_type": "t"}}]
    )
    assert [d and d["_id"] for d in lake.client().get_documents(["a", "x", "drafts.a"])] == [
        "a",
        None,
        "drafts.a",
    ]
    raw = lake.http.get(f"{LIVE}/v2025-02-19/data/doc/production/a,x,drafts.a").json()
    assert [d["_id"] for d in raw["documents"]] == ["a"]
    assert raw["omitted"] == [
        {"id": "x", "reason": "existence"},
        {"id": "drafts.a", "reason": "permission"},
    ]
    assert lake.client().get_documents([]) == []


def test_unknown_dataset_and_version_are_404(lake: Lake) -> None:
    response = lake.http.get(f"{LIVE}/v2025-02-19/data/doc/staging/a")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
    assert lake.http.get(f"{LIVE}/v2025-99/data/doc/production/a").status_code == 404


def test_upload_image_and_serve_it_at_the_cdn_url(lake: Lake) -> None:
    data = png_bytes(40, 30)
    client = lake.client()
    asset = client.upload_image(data, "tee.png", "image/png")
    assert asset["_type"] == "sanity.imageAsset"
    assert asset["_id"].startswith("image-") and asset["_id"].endswith("-40x30-png")
    assert asset["metadata"]["dimensions"]["width"] == 40
    assert asset["url"] == client.image_url(asset["_id"])
    again = client.upload_image(data, "other-name.png")
    assert again["_id"] == asset["_id"] and again["_rev"] == asset["_rev"]
    original = lake.http.get(client.image_url(asset["_id"]))
    assert original.status_code == 200 and original.content == data
    served = lake.http.get(client.image_url({"asset": {"_ref": asset["_id"]}}, w=20))
    assert served.status_code == 200  # resized by the CDN parameters, as Sanity's CDN does
    assert Image.open(io.BytesIO(served.content)).width == 20
    assert served.headers["content-type"] == "image/png"
    assert lake.http.get(asset["url"].replace("testproj", "other")).status_code == 404
    with pytest.raises(AuthError):
        lake.client(token=None).upload_image(data, "x.png")
    with pytest.raises(ContentError) as info:
        client.upload_image(b"not an image", "x.png")
    assert info.value.status_code == 400


def test_upload_file_and_serve_it(lake: Lake) -> None:
    client = lake.client()
    asset = client.upload_file(b"%PDF-1.4 size chart", "size-chart.pdf", "application/pdf")
    assert asset["_id"].startswith("file-") and asset["_id"].endswith("-pdf")
    served = lake.http.get(client.file_url(asset["_id"]))
    assert served.content == b"%PDF-1.4 size chart"


def test_from_settings_uses_the_settings_addresses() -> None:
    from tests.conftest import make_settings

    settings = make_settings(
        sanity_project_id="abc123", sanity_read_token="read-tok", sanity_write_token="write-tok"
    )
    client = SanityClient.from_settings(settings)
    writer = SanityClient.from_settings(settings, write=True)
    try:
        assert client.live_url == settings.sanity_live_url
        assert client.public_url == settings.sanity_public_url
        assert client.api_version == "v2025-02-19"
        assert (client.token, writer.token) == ("read-tok", "write-tok")
        assert client.cdn_base == settings.sanity_live_url
    finally:
        client.close()
        writer.close()
