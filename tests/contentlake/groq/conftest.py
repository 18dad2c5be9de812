"""A small shop catalog for the GROQ engine tests."""

from __future__ import annotations

from typing import Any

import pytest

from contentlake.groq import Dataset


def shop_documents() -> list[dict[str, Any]]:
    block = {
        "_type": "block",
        "children": [{"_type": "span", "text": "Rot "}, {"_type": "span", "text": "well."}],
    }
    return [
        {"_id": "category-grim", "_type": "category", "title": "Grim", "slug": {"current": "grim"}},
        {"_id": "category-soft", "_type": "category", "title": "Soft", "slug": {"current": "soft"}},
        {
            "_id": "design-compost",
            "_type": "design",
            "title": "Compost Happens",
            "story": [block],
            "artwork": {"asset": {"_ref": "image-abc-600x600-png"}},
        },
        {
            "_id": "product-compost",
            "_type": "product",
            "title": "Compost Happens Tee",
            "slug": {"current": "compost-happens"},
            "description": "Worms do the heavy lifting.",
            "basePrice": 2900,
            "published": True,
            "design": {"_type": "reference", "_ref": "design-compost"},
            "categories": [{"_key": "a", "_type": "reference", "_ref": "category-grim"}],
            "variants": [
                {
                    "_key": "1",
                    "size": "S",
                    "colour": "Black",
                    "productUid": "u1",
                    "priceCents": 2900,
                },
                {
                    "_key": "2",
                    "size": "M",
                    "colour": "Black",
                    "productUid": "u2",
                    "priceCents": 2900,
                },
                {"_key": "3", "size": "M", "colour": "Bone", "priceCents": 3100},
            ],
        },
        {
            "_id": "product-planet",
            "_type": "product",
            "title": "The Planet Is Fine",
            "slug": {"current": "planet"},
            "description": "It is not. Compost anyway.",
            "basePrice": 3100,
            "published": True,
            "featured": True,
            "categories": [
                {"_key": "a", "_type": "reference", "_ref": "category-grim"},
                {"_key": "b", "_type": "reference", "_ref": "category-soft"},
            ],
            "variants": [],
        },
        {
            "_id": "product-moth",
            "_type": "product",
            "title": "Moth To A Flame",
            "slug": {"current": "moth"},
            "basePrice": 2500,
            "published": False,
            "categories": [{"_key": "a", "_type": "reference", "_ref": "category-soft"}],
        },
        {"_id": "drafts.product-planet", "_type": "product", "title": "Draft planet"},
        {"_id": "inventory-u1", "_type": "inventory", "productUid": "u1", "available": True},
        {"_id": "inventory-u2", "_type": "inventory", "productUid": "u2", "available": False},
    ]


@pytest.fixture
def shop() -> Dataset:
    return Dataset(shop_documents())


@pytest.fixture
def scan_only() -> Dataset:
    return Dataset(shop_documents(), indexed_paths=())
