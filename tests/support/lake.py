"""A content lake with the demo catalog for app tests, wired into the shop in-process.

The shop's real Sanity client talks to the lake through httpx's WSGI transport (no port);
the lake's signed publish webhook is delivered straight into the shop.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from cms_schema import DEMO_CATALOG
from contentlake.app import create_lake_app
from contentlake.assets import AssetFiles, lake_asset_folder
from contentlake.exports import import_export
from contentlake.store import LakeStore
from contentlake.webhooks import Delivery, WebhookConfig
from storefront.config import EMULATOR_PREFIXES, Settings
from storefront.container import services
from storefront.sanity.client import SanityClient

TOKEN = "test-lake-token"


def build_template(folder: Path, settings: Settings) -> Path:
    """The demo catalog imported once into a lake file (copied for each test)."""
    path = folder / "lake.sqlite3"
    store = LakeStore(path)
    import_export(
        DEMO_CATALOG,
        store,
        AssetFiles(lake_asset_folder(path)),
        project_id=settings.sanity_project_id,
        dataset=settings.sanity_dataset,
        cdn_base=settings.sanity_live_url,
    )
    store.close()
    return path


@dataclass
class LakeHandle:
    store: LakeStore
    app: Any  # the lake's Flask app
    http: httpx.Client

    @property
    def webhooks(self) -> Any:
        return self.app.extensions["lake"].webhooks

    def mutate(self, mutations: list[dict[str, Any]]) -> Any:
        return self.write_client.mutate(mutations)

    write_client: SanityClient | None = None


def attach_lake(shop: Flask, template: Path, folder: Path) -> LakeHandle:
    settings: Settings = services(shop).settings
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lake.sqlite3"
    shutil.copyfile(template, path)
    assets = lake_asset_folder(template)
    if Path(assets).exists():
        shutil.copytree(assets, lake_asset_folder(path), dirs_exist_ok=True)
    store = LakeStore(path)

    def deliver(delivery: Delivery) -> int:  # the lake's webhook, straight into the shop
        path_only = httpx.URL(delivery.url).raw_path.decode()
        response = shop.test_client().open(
            path_only, method=delivery.method, data=delivery.body, headers=delivery.headers
        )
        shop.extensions.setdefault("test_lake_deliveries", []).append(
            (response.status_code, response.get_json(silent=True))
        )
        return response.status_code

    hook = WebhookConfig(
        url=f"{settings.base_url}/webhooks/sanity",
        projection="{_id, _type}",
        secret=settings.sanity_webhook_secret.get_secret_value(),
        id="storefront-publish",
    )
    lake_app = create_lake_app(
        store,
        token=TOKEN,
        project_id=settings.sanity_project_id,
        dataset=settings.sanity_dataset,
        webhooks=[hook],
        webhook_sender=deliver,
        assets=AssetFiles(lake_asset_folder(path)),
        asset_base_url=settings.sanity_live_url,
    )
    mounted = DispatcherMiddleware(NotFound(), {EMULATOR_PREFIXES["sanity"]: lake_app})
    http = httpx.Client(transport=httpx.WSGITransport(app=mounted))

    def client(token: str | None) -> SanityClient:
        return SanityClient(
            settings.sanity_live_url,
            settings.sanity_public_url,
            settings.sanity_project_id,
            settings.sanity_dataset,
            settings.sanity_api_version,
            token,
            http=http,
            sleep=lambda _s: None,
        )

    content = services(shop).content
    content.public = client(None)
    content.preview_client = client(TOKEN)
    writer = services(shop).sanity_writer = client(TOKEN)
    return LakeHandle(store, lake_app, http, writer)
