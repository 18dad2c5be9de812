"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

from storefront.catalog.mockups import FORMATS, garment_for, mockup_path
from storefront.catalog.mockups import WIDTHS as MOCKUP_WIDTHS
from storefront.container import services
from storefront.content.ptext import portable_text_to_plain, render_portable_text
from storefront.countries import country_name, in_sentence
from storefront.money import format_money
from storefront.orders.states import status_label
from storefront.sanity.client import SanityClient
from storefront.web import fragments

SRCSET_WIDTHS = (320, 480, 640, 960, 1280)


def _image_url(source: Any, **params: Any) -> str:
    if not source or not source.get("asset"):
        return ""
    content = services().content
    key = json.dumps([source, sorted(params.items())], sort_keys=True, default=str)
    return _cached_image_url(content.public, key)


@functools.lru_cache(maxsize=4096)
def _cached_image_url(client: SanityClient, key: str) -> str:
    """Image URLs are pure functions of the asset, crop, hotspot and params: compute once."""
    source, params = json.loads(key)
    return client.image_url(source, auto="format", **dict(params))


def _srcset(source: Any, *, aspect: float | None = None) -> str:
    """Width-based srcset; with ``aspect`` (h/w) the crop follows the hotspot."""
    parts = []
    for width in SRCSET_WIDTHS:
        params: dict[str, Any] = {"w": width}
        if aspect:
            params["h"] = round(width * aspect)
            params["fit"] = "crop"
        url = _image_url(source, **params)
        if url:
            parts.append(f"{url} {width}w")
    return ", ".join(parts)


@dataclass(frozen=True)
class Picture:
    """A product picture in one colour: ``src`` (JPEG) and a srcset per format."""

    src: str
    srcset: dict[str, str]
    width: int

    @property
    def webp(self) -> str:
        return self.srcset["webp"]

    @property
    def jpg(self) -> str:
        return self.srcset["jpg"]


def _mockup(
    product: Any,
    colour: str | None = None,
    side: str = "front",
    *,
    width: int = 960,
    absolute: bool = False,
) -> Picture | None:
    """The picture of ``product`` (a product view or its raw projection) in ``colour``
    (default: its first colour); ``None`` when it has no print file for ``side``."""
    raw = getattr(product, "raw", product) or {}
    product_id = getattr(product, "id", None) or raw.get("_id")
    if colour is None:
        colour = next((c.get("name") for c in raw.get("colours") or []), None)
    if not product_id or not colour:
        return None
    garment = garment_for(raw, colour, side)
    if garment is None:
        return None
    base = services().settings.base_url if absolute else ""

    def url(w: int, fmt: str) -> str:
        return base + mockup_path(product_id, colour, side, w, fmt, garment.version)

    return Picture(
        src=url(width, "jpg"),
        srcset={fmt: ", ".join(f"{url(w, fmt)} {w}w" for w in MOCKUP_WIDTHS) for fmt in FORMATS},
        width=width,
    )


def _portable_text(blocks: Any) -> Markup:

    return render_portable_text(
        blocks or [], image_url=lambda img: _image_url(img, w=960), link_resolver=_link_for
    )


def _plain(blocks: Any) -> str:

    return portable_text_to_plain(blocks or [])


def _link_for(reference: Any) -> str | None:
    ref = (reference or {}).get("_ref") if isinstance(reference, dict) else None
    return services().catalog.document_path(ref) if ref else None


_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def _markdown(text: str | None) -> Markup:
    """CommonMark to HTML with raw HTML escaped (and unsafe link schemes refused), for texts
    we write ourselves, such as the API's descriptions."""
    return Markup(_MARKDOWN.render(text or ""))  # noqa: S704 - html=False escapes raw HTML


def long_date(value: datetime | None) -> str:
    """``1 December 2026`` (UTC), the way people write a date."""
    return f"{value.day} {value:%B %Y}" if value else ""


def _json_ld(data: Any) -> Markup:
    """JSON-LD safe inside <script>: no "</" can close the element early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with <, > and & escaped


def init_app(app: Flask) -> None:
    fragments.init_app(app)
    app.jinja_env.globals.update(
        image_url=_image_url,
        mockup=_mockup,
        srcset=_srcset,
        portable_text=_portable_text,
        pt_plain=_plain,
        json_ld=_json_ld,
    )
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["markdown"] = _markdown
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["in_country"] = in_sentence
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
