"""Builders shared by the lake and client tests: a lake app on a temp folder and a client
wired to it through httpx's WSGI transport (no sockets)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from PIL import Image

from contentlake.app import create_lake_app
from contentlake.assets import AssetFiles
from contentlake.store import LakeStore
from storefront.sanity.client import SanityClient

TOKEN = "lake-test-token"
PROJECT = "testproj"
DATASET = "production"
LIVE = "http://lake.test"
CDN = "http://cdn.lake.test"


def needs_groq() -> Any:
    """The GROQ engine; a plain import now that it has landed (no skip any more)."""
    import contentlake.groq as groq

    return groq


class RecordingTransport(httpx.WSGITransport):
    """WSGI transport that remembers every request (method, URL, body) it carried."""

    def __init__(self, app: Flask, fail_first: Iterable[int] = ()) -> None:
        super().__init__(app=app)
        self.requests: list[httpx.Request] = []
        self._fail = list(fail_first)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self._fail:
            return httpx.Response(self._fail.pop(0), json={"error": {"description": "busy"}})
        return super().handle_request(request)


@dataclass
class Lake:
    store: LakeStore
    files: AssetFiles
    app: Flask
    transport: RecordingTransport
    http: httpx.Client
    deliveries: list[Any] = field(default_factory=list)

    def client(self, token: str | None = TOKEN, **kwargs: Any) -> SanityClient:
        return SanityClient(
            LIVE,
            CDN,
            PROJECT,
            DATASET,
            "v2025-02-19",
            token,
            http=self.http,
            sleep=lambda _s: None,
            **kwargs,
        )

    def close(self) -> None:
        self.http.close()
        self.store.close()


def make_lake(tmp_path: Path, *, token: str | None = TOKEN, **app_kwargs: Any) -> Lake:
    store = LakeStore(tmp_path / "lake.sqlite3")
    files = AssetFiles(tmp_path / "lake-assets")
    app = create_lake_app(
        store,
        token=token,
        project_id=PROJECT,
        dataset=DATASET,
        assets=files,
        asset_base_url=LIVE,
        **app_kwargs,
    )
    transport = RecordingTransport(app)
    http = httpx.Client(transport=transport, timeout=5.0)
    return Lake(store, files, app, transport, http)


def png_bytes(width: int = 40, height: int = 30, color: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


PRODUCTS = [
    {
        "_id": "p1",
        "_type": "product",
        "title": "Doom Tee",
        "price": 2500,
        "slug": {"current": "doom"},
    },
    {
        "_id": "p2",
        "_type": "product",
        "title": "Gloom Tee",
        "price": 2700,
        "slug": {"current": "gloom"},
    },
    {"_id": "c1", "_type": "category", "title": "Shirts"},
]
