"""Typed models of what the shop's GROQ projections return (``storefront/catalog/queries.py``).

A contract between the queries and the content model: the tests parse every demo product
each query returns into these models, so a change of the model that breaks a projection
fails there instead of rendering nonsense. The shop itself reads the results as plain data
(built once per content version and shared), which keeps the hot path free of validation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ImageRef(_Model):
    asset: dict[str, Any] | None = None
    hotspot: dict[str, Any] | None = None
    crop: dict[str, Any] | None = None
    alt: str | None = None


class Colour(_Model):
    name: str
    hex: str | None = None


class SizeSurcharge(_Model):
    size: str
    amount: int = Field(ge=0)


class Variant(_Model):
    key: str = Field(alias="_key")
    size: str
    colour: str
    product_uid: str | None = Field(None, alias="productUid")
    limited_quantity: int | None = Field(None, alias="limitedQuantity", ge=1)
    price: int | None = Field(None, ge=1)


class ProductCard(_Model):
    id: str = Field(alias="_id")
    title: str
    slug: str
    currency: str = Field(min_length=3, max_length=3)
    base_price: int = Field(alias="basePrice", ge=1)
    featured: bool | None = None
    sizes: list[str] = []
    colours: list[Colour] = []
    size_surcharges: list[SizeSurcharge] | None = Field(None, alias="sizeSurcharges")
    variants: list[Variant] = []
    image: ImageRef | None = None
    design_title: str | None = Field(None, alias="designTitle")


class Sustainability(_Model):
    organic_cotton_percent: float | None = Field(None, alias="organicCottonPercent")
    water_saved_litres: float | None = Field(None, alias="waterSavedLitres")
    print_location: str | None = Field(None, alias="printLocation")
    certifications: list[str] = []


class Design(_Model):
    id: str = Field(alias="_id")
    title: str
    slug: str | None = None
    story: list[dict[str, Any]] | None = None
    sustainability: Sustainability | None = None
    front: ImageRef | None = None
    back: ImageRef | None = None
    print_front: dict[str, Any] | None = Field(None, alias="printFront")
    print_back: dict[str, Any] | None = Field(None, alias="printBack")


class CategoryRef(_Model):
    id: str = Field(alias="_id")
    title: str
    slug: str


class Seo(_Model):
    title: str | None = None
    description: str | None = None


class ProductDetail(ProductCard):
    description: str | None = None
    design: Design
    categories: list[CategoryRef] = []
    seo: Seo | None = None


class Category(_Model):
    id: str = Field(alias="_id")
    title: str
    slug: str
    description: str | None = None


class Page(_Model):
    id: str = Field(alias="_id")
    title: str
    slug: str
    body: list[dict[str, Any]] = []
    seo: Seo | None = None


class Link(_Model):
    label: str
    href: str


class SiteSettings(_Model):
    shop_name: str = Field(alias="shopName")
    tagline: str | None = None
    hero_title: str | None = Field(None, alias="heroTitle")
    hero_text: str | None = Field(None, alias="heroText")
    minimum_margin_percent: float = Field(alias="minimumMarginPercent")
    navigation: list[Link] = []
    footer_links: list[Link] = Field([], alias="footerLinks")
    featured: list[str] = []


class InventoryState(_Model):
    product_uid: str = Field(alias="productUid")
    available: bool
