"""The Sanity HTTP client (httpx). Talks to Sanity and to the local lake alike: only the
base URLs and the token differ.

Rules that matter (see docs/SANITY.md): params are JSON-encoded as ``$name=``; a query
switches from GET to POST past 11264 characters of query string; the perspective is always
explicit; the CDN is used only for public reads (no token, not drafts); queries and document
reads are retried on 429/502/503 and network errors with ``100·2^n + rand(0..100)`` ms
backoff, mutations and uploads never (the shared rule and the circuit breaker of
:mod:`storefront.http_retry`). Failures become :mod:`storefront.sanity.errors` exceptions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx

from storefront.circuit import CircuitBreaker
from storefront.http_retry import NO_RETRY, RetryPolicy, send_with_retries
from storefront.sanity.errors import (
    AuthError,
    ConflictError,
    ContentError,
    ContentUnavailable,
    MutationError,
    QueryParseError,
    RateLimited,
)
from storefront.sanity.images import cdn_base_for, file_url, image_url

if TYPE_CHECKING:
    from storefront.config import Settings

QUERY_SIZE_LIMIT = 11264
RETRY_STATUSES = frozenset({429, 502, 503})
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def encode_query_params(
    groq: str, params: Mapping[str, Any] | None, options: Mapping[str, str]
) -> str:
    """The GET query string: ``query``, each param as ``$name=<JSON>``, then options."""
    pairs: list[tuple[str, str]] = [("query", groq)]
    for name, value in (params or {}).items():
        pairs.append((f"${name}", json.dumps(value, ensure_ascii=False, separators=(",", ":"))))
    pairs.extend(options.items())
    return urlencode(pairs, quote_via=quote)


def trace_id(response: httpx.Response) -> str | None:
    """The trace id inside ``traceparent: <version>-<trace id>-<span>-<flags>``."""
    parts = response.headers.get("traceparent", "").split("-")
    return parts[1] if len(parts) >= 2 and parts[1] else None


def error_from_response(response: httpx.Response) -> ContentError:
    """Map a non-2xx response (any of Sanity's error shapes) to our exception tree."""
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("description") or error.get("message") or error)
        error_type = error.get("type")
    elif isinstance(body, dict):
        message = str(body.get("message") or error or body)
        error_type = None
    else:
        message = str(body)[:500] or response.reason_phrase
        error_type = None
    common: dict[str, Any] = {"status_code": status, "trace_id": trace_id(response), "body": body}
    if error_type == "queryParseError":
        assert isinstance(error, dict)
        return QueryParseError(
            message, start=error.get("start"), end=error.get("end"), query=error.get("query"),
            **common,
        )  # fmt: skip
    if status in (401, 403):
        return AuthError(message, **common)
    if status == 429:
        return RateLimited(message, **common)
    if status >= 500:
        return ContentUnavailable(message, **common)
    if status == 409:
        return ConflictError(message, **common)
    if error_type == "mutationError":
        items = error.get("items") if isinstance(error, dict) else None
        return MutationError(message, items=items, **common)
    return ContentError(message, **common)


class SanityClient:
    """One dataset of one project. Construct with a ready ``http`` client in tests
    (``httpx.Client(transport=httpx.WSGITransport(app=lake_app))``)."""

    def __init__(
        self,
        live_url: str,
        public_url: str | None = None,
        project_id: str | None = None,
        dataset: str = "production",
        api_version: str = "v2025-02-19",
        token: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        cdn_base: str | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.live_url = live_url.rstrip("/")
        self.public_url = (public_url or live_url).rstrip("/")
        self.project_id = project_id or "local"
        self.dataset = dataset
        self.api_version = api_version if api_version.startswith("v") else f"v{api_version}"
        self.token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.cdn_base = cdn_base or cdn_base_for(self.live_url)
        self._retry = RetryPolicy(
            attempts=max_retries + 1, base_delay=0.1, jitter="added", sleep=sleep
        )
        self._breaker = breaker
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=timeout)
        self.retries_made = 0

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        http: httpx.Client | None = None,
        write: bool = False,
        breaker: CircuitBreaker | None = None,
    ) -> SanityClient:
        """The shop's client; ``write=True`` uses the write token (sync jobs, imports)."""
        secret = settings.sanity_write_token if write else settings.sanity_read_token
        return cls(
            settings.sanity_live_url,
            settings.sanity_public_url,
            settings.sanity_project_id,
            settings.sanity_dataset,
            settings.sanity_api_version,
            secret.get_secret_value() if secret is not None else None,
            http=http,
            breaker=breaker,
        )

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> SanityClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------
    def _url(self, base: str, *parts: str) -> str:
        return "/".join([base, self.api_version, *parts])

    def _headers(self, *, with_token: bool = True) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "storefront-sanity-client/1"}
        if with_token and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _send(self, request: httpx.Request, *, retry: bool) -> httpx.Response:
        response = send_with_retries(
            lambda: self._http.send(request),
            self._retry if retry else NO_RETRY,
            unreachable=lambda exc: ContentUnavailable(f"content API unreachable: {exc}"),
            broken=lambda exc: ContentError(f"content API request failed: {exc}"),
            exhausted=error_from_response,
            breaker=self._breaker,
            unavailable=lambda exc: ContentUnavailable(str(exc)),
            retry_on=RETRY_STATUSES.__contains__,
            on_retry=self._count_retry,
        )
        if response.is_success:
            return response
        raise error_from_response(response)

    def _count_retry(self) -> None:
        self.retries_made += 1

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ContentError(
                "content API answered with non-JSON",
                status_code=response.status_code,
                trace_id=trace_id(response),
            ) from exc

    # --- queries ----------------------------------------------------------------------------
    def query_raw(
        self,
        groq: str,
        params: Mapping[str, Any] | None = None,
        *,
        perspective: str = "published",
        use_cdn: bool = True,
        tag: str | None = None,
        return_query: bool = False,
    ) -> dict[str, Any]:
        """The whole response envelope ``{ms, query?, result, syncTags}``."""
        options = {"perspective": perspective, "returnQuery": "true" if return_query else "false"}
        if tag:
            options["tag"] = tag
        cdn = use_cdn and self.token is None and perspective not in ("drafts", "previewDrafts")
        endpoint = self._url(self.public_url if cdn else self.live_url, "data/query", self.dataset)
        encoded = encode_query_params(groq, params, options)
        headers = self._headers()
        if len(encoded) <= QUERY_SIZE_LIMIT:
            request = self._http.build_request(
                "GET", f"{endpoint}?{encoded}", headers=headers, timeout=self.timeout
            )
        else:
            request = self._http.build_request(
                "POST",
                f"{endpoint}?{urlencode(options, quote_via=quote)}",
                headers=headers,
                json={"query": groq, "params": dict(params or {})},
                timeout=self.timeout,
            )
        envelope = self._json(self._send(request, retry=True))
        if not isinstance(envelope, dict) or "result" not in envelope:
            raise ContentError("query response without a result", body=envelope)
        return envelope

    def query(
        self,
        groq: str,
        params: Mapping[str, Any] | None = None,
        *,
        perspective: str = "published",
        use_cdn: bool = True,
        tag: str | None = None,
    ) -> Any:
        """The ``result`` of a GROQ query (``None``/``[]`` are answers, not errors)."""
        return self.query_raw(groq, params, perspective=perspective, use_cdn=use_cdn, tag=tag)[
            "result"
        ]

    def get_documents(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """Documents by id from the live API, in the order asked; ``None`` where omitted."""
        if not ids:
            return []
        url = self._url(self.live_url, "data/doc", self.dataset, ",".join(ids))
        request = self._http.build_request(
            "GET", url, headers=self._headers(), timeout=self.timeout
        )
        body = self._json(self._send(request, retry=True))
        found = {doc["_id"]: doc for doc in body.get("documents", []) if isinstance(doc, dict)}
        return [found.get(doc_id) for doc_id in ids]

    def get_document(self, doc_id: str) -> dict[str, Any] | None:
        return self.get_documents([doc_id])[0]

    # --- writes -----------------------------------------------------------------------------
    def mutate(
        self,
        mutations: Sequence[Mapping[str, Any]],
        *,
        return_documents: bool = False,
        dry_run: bool = False,
        transaction_id: str | None = None,
        visibility: str = "sync",
        auto_generate_array_keys: bool = False,
    ) -> dict[str, Any]:
        """One atomic transaction; ``{"transactionId", "results": [{"id", "operation",
        "document"?}], "documentIds"}`` (``documentIds`` derived here). Never retried:
        on :class:`ContentUnavailable` the outcome is unknown — pass a ``transaction_id`` and
        re-read before trying again."""
        options = {
            "returnIds": "true",
            "returnDocuments": "true" if return_documents else "false",
            "visibility": visibility,
        }
        if dry_run:
            options["dryRun"] = "true"
        if transaction_id:
            options["transactionId"] = transaction_id
        if auto_generate_array_keys:
            options["autoGenerateArrayKeys"] = "true"
        url = self._url(self.live_url, "data/mutate", self.dataset)
        request = self._http.build_request(
            "POST",
            f"{url}?{urlencode(options)}",
            headers=self._headers(),
            json={"mutations": list(mutations)},
            timeout=self.timeout,
        )
        body: dict[str, Any] = self._json(self._send(request, retry=False))
        # Like @sanity/client, the ids are derived here; the API sends only results.
        body["documentIds"] = [r.get("id") for r in body.get("results") or []]
        return body

    def _upload(self, kind: str, data: bytes, filename: str, content_type: str) -> dict[str, Any]:
        url = self._url(self.live_url, "assets", kind, self.dataset)
        headers = {**self._headers(), "Content-Type": content_type}
        request = self._http.build_request(
            "POST",
            f"{url}?{urlencode({'filename': filename})}",
            headers=headers,
            content=data,
            timeout=self.timeout,
        )
        document: dict[str, Any] = self._json(self._send(request, retry=False))["document"]
        return document

    def upload_image(
        self, data: bytes, filename: str, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        """Upload an image; returns its ``sanity.imageAsset`` document (same bytes, same id)."""
        return self._upload("images", data, filename, content_type)

    def upload_file(
        self, data: bytes, filename: str, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        return self._upload("files", data, filename, content_type)

    def download(self, url: str) -> bytes:
        """An asset's bytes from its ``url`` (the CDN; a safe call, so retried)."""
        request = self._http.build_request("GET", url, timeout=self.timeout)
        return self._send(request, retry=True).content

    # --- URLs -------------------------------------------------------------------------------
    def image_url(self, source: Any, **params: Any) -> str:
        """See :func:`storefront.sanity.images.image_url`."""
        return image_url(
            source, cdn_base=self.cdn_base, project_id=self.project_id, dataset=self.dataset,
            **params,
        )  # fmt: skip

    def download_image(self, source: Any, **params: Any) -> bytes:
        """The bytes of an image from the CDN, transformed by ``params`` (``w``, ``fm``…)."""
        request = self._http.build_request(
            "GET",
            self.image_url(source, **params),
            headers={"User-Agent": "storefront-sanity-client/1"},
            timeout=self.timeout,
        )
        return self._send(request, retry=True).content

    def file_url(self, source: Any) -> str:
        return file_url(
            source, cdn_base=self.cdn_base, project_id=self.project_id, dataset=self.dataset
        )
