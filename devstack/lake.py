"""The local content lake configured from the shop's settings (the file under ``DATA_DIR``,
the dataset, project and tokens): how ``storefront dev`` and the ``content`` tools open it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from contentlake.app import create_lake_app
from contentlake.assets import AssetFiles, lake_asset_folder
from contentlake.store import LakeStore
from contentlake.webhooks import Delivery, WebhookConfig
from storefront.config import Settings


def open_lake(settings: Settings) -> tuple[LakeStore, AssetFiles]:
    """The lake file named by the settings and its asset folder next to it."""
    store = LakeStore(settings.lake_path)
    return store, AssetFiles(lake_asset_folder(settings.lake_path))


def create_lake_app_from_settings(
    settings: Settings,
    *,
    webhooks: Iterable[WebhookConfig | dict[str, Any]] = (),
    webhook_sender: Callable[[Delivery], object] | None = None,
) -> Flask:
    """The lake as ``storefront dev`` mounts it: the settings' dataset, project and tokens."""
    store, files = open_lake(settings)
    tokens = [
        secret.get_secret_value()
        for secret in (settings.sanity_read_token, settings.sanity_write_token)
        if secret is not None
    ]
    return create_lake_app(
        store,
        token=tokens or None,
        project_id=settings.sanity_project_id,
        dataset=settings.sanity_dataset,
        webhooks=webhooks,
        webhook_sender=webhook_sender,
        assets=files,
    )
