"""Shop data to back up, and snapshots to compare after a restore."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from flask import Flask
from sqlalchemy import MetaData, select

from cms_schema import DEMO_CATALOG
from contentlake.assets import image_document
from contentlake.exports import import_export
from devstack.lake import open_lake
from storefront.accounts import services as accounts
from storefront.accounts.models import Address
from storefront.accounts.tokens import create_token
from storefront.config import Settings
from storefront.container import services
from storefront.db import make_engine
from storefront.newsletter import services as newsletter
from tests.fulfillment_flow.conftest import paid_order

DATA_KEYS = "drill:" + base64.b64encode(hashlib.sha256(b"restore drill").digest()).decode()
#: What the editor changes before the backup (the lake must come back with all of it).
NEW_PAGE = {"_id": "page-drill", "_type": "page", "title": "Backed up", "slug": {"current": "dr"}}


def make_shop_data(app: Flask) -> None:
    """Customers with addresses and a token, paid orders (items, events, payments, outbox),
    a confirmed newsletter subscriber."""
    db = services(app).db
    with db.session_scope(write=True) as session:
        ada = accounts.register(session, "ada@example.com", "correct horse 1", "Ada Lovelace")
        accounts.register(session, "grace@example.com", "correct horse 2", "Grace Hopper")
        session.add(
            Address(
                customer_id=ada.id,
                first_name="Ada",
                last_name="Lovelace",
                line1="Kastanienallee 1",
                city="Berlin",
                post_code="10435",
                country="DE",
                is_default=True,
            )
        )
        create_token(session, ada, name="drill")
        newsletter.sign_up(session, "reader@example.com", source="drill", confirm_link="x")
        newsletter.confirm(session, "reader@example.com")
    for number in ("SF-DRILL01", "SF-DRILL02", "SF-DRILL03"):
        paid_order(app, number)


def make_lake(settings: Settings) -> None:
    """The demo catalog, then an editor's work: a new page, an edited product, a draft, and
    an uploaded image."""
    store, files = open_lake(settings)
    try:
        import_export(
            DEMO_CATALOG,
            store,
            files,
            project_id=settings.sanity_project_id,
            dataset=settings.sanity_dataset,
            cdn_base=settings.sanity_live_url,
        )
        product = next(d for d in store.documents() if d["_type"] == "product")
        image = sorted((DEMO_CATALOG / "images").iterdir())[0].read_bytes()
        asset, rel = image_document(
            image[:-1] + b"\0",  # other bytes: a new asset
            "drill.png",
            project_id=settings.sanity_project_id,
            dataset=settings.sanity_dataset,
            cdn_base=settings.sanity_live_url,
        )
        files.save(rel, image[:-1] + b"\0")
        store.mutate(
            [
                {"createIfNotExists": asset},
                {"create": NEW_PAGE},
                {"patch": {"id": product["_id"], "set": {"title": "Edited before the backup"}}},
                {"createOrReplace": {**product, "_id": f"drafts.{product['_id']}", "title": "D"}},
            ]
        )
    finally:
        store.close()


def snapshot_tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (reflected, so nothing is left out), in primary key order."""
    engine = make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        found = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(select(table).order_by(*order))
                found[table.name] = [dict(row._mapping) for row in rows]
        return found
    finally:
        engine.dispose()


def snapshot_lake(settings: Settings) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Every document as stored, and every asset file's bytes."""
    store, files = open_lake(settings)
    try:
        documents = store.documents()
    finally:
        store.close()
    folder = files.folder
    binaries = (
        {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        if folder is not None and folder.is_dir()
        else {}
    )
    return documents, binaries
