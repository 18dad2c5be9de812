"""Image and file URLs straight from an asset reference (no asset-document fetch), for real
Sanity (``https://cdn.sanity.io``) and the local lake alike: only ``cdn_base`` differs.

With both ``w`` and ``h`` and a stored crop/hotspot, ``rect`` is computed as Sanity's
``@sanity/image-url`` does, so crops look the same on the shop as in Studio.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote, urlsplit

SANITY_CDN = "https://cdn.sanity.io"
_IMAGE_REF = re.compile(r"^image-([A-Za-z0-9_]+)-(\d+)x(\d+)-([a-z0-9]+)$")
_FILE_REF = re.compile(r"^file-([A-Za-z0-9_]+)-([a-z0-9]+)$")
#: image-url's parameter order after ``rect`` (ours takes snake_case too: ``max_w``).
_PARAM_ORDER = (
    "w", "h", "fm", "dl", "blur", "sharp", "invert", "or", "min-h", "max-h",
    "min-w", "max-w", "q", "fit", "crop", "sat", "auto", "dpr",
)  # fmt: skip


class ImageRefError(ValueError):
    """Not an image/file asset reference."""


def cdn_base_for(live_url: str) -> str:
    """Sanity's CDN for a ``*.sanity.io`` API, otherwise the lake itself (it serves assets)."""
    host = urlsplit(live_url).hostname or ""
    return SANITY_CDN if host == "sanity.io" or host.endswith(".sanity.io") else live_url


def _js_round(value: float) -> int:
    return math.floor(value + 0.5)


def _asset_id(source: Any) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, dict):
        asset = source.get("asset", source)
        if isinstance(asset, dict):
            ref = asset.get("_ref") or asset.get("_id")
            if isinstance(ref, str):
                return ref
    raise ImageRefError(f"no asset reference in {source!r}")


def parse_image_ref(ref: str) -> tuple[str, int, int, str]:
    """``(id, width, height, ext)`` of ``image-<id>-<W>x<H>-<ext>``."""
    match = _IMAGE_REF.match(ref)
    if not match:
        raise ImageRefError(f"not an image asset reference: {ref!r}")
    return match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)


def _rect(source: Any, width: int, height: int, w: Any, h: Any) -> tuple[int, ...] | None:
    """image-url's ``fit``: the stored crop, or with both ``w`` and ``h`` the largest w:h
    window inside the crop centred on the hotspot; ``None`` when nothing is cut."""
    crop = (source.get("crop") if isinstance(source, dict) else None) or {}
    spot = (source.get("hotspot") if isinstance(source, dict) else None) or {}
    c_left = _js_round(crop.get("left", 0) * width)
    c_top = _js_round(crop.get("top", 0) * height)
    c_width = _js_round(width - crop.get("right", 0) * width - c_left)
    c_height = _js_round(height - crop.get("bottom", 0) * height - c_top)
    radius_x = spot.get("width", 1) * width / 2
    radius_y = spot.get("height", 1) * height / 2
    spot_left = spot.get("x", 0.5) * width - radius_x
    spot_top = spot.get("y", 0.5) * height - radius_y
    if not (w and h):
        rect: tuple[int, ...] = (c_left, c_top, c_width, c_height)
        return None if rect == (0, 0, width, height) else rect
    desired = float(w) / float(h)
    if c_width / c_height > desired:  # crop wider than wanted: cut the sides
        out_h = float(c_height)
        out_w = out_h * desired
        left = ((spot_left + 2 * radius_x) - spot_left) / 2 + spot_left - out_w / 2
        if left < c_left:
            left = c_left
        elif left + out_w > c_left + c_width:
            left = c_left + c_width - out_w
        rect = (_js_round(left), _js_round(c_top), _js_round(out_w), _js_round(out_h))
    else:  # crop taller than wanted: cut top and bottom
        out_w = float(c_width)
        out_h = out_w / desired
        top = ((spot_top + 2 * radius_y) - spot_top) / 2 + spot_top - out_h / 2
        if top < c_top:
            top = c_top
        elif top + out_h > c_top + c_height:
            top = c_top + c_height - out_h
        rect = (
            max(0, math.floor(c_left)),
            max(0, math.floor(top)),
            _js_round(out_w),
            _js_round(out_h),
        )
    if rect == (0, 0, width, height):
        return None
    return rect


def image_url(
    source: Any,
    *,
    cdn_base: str = SANITY_CDN,
    project_id: str,
    dataset: str,
    **params: Any,
) -> str:
    """URL of an image ``source`` (ref string, asset dict or image field with crop/hotspot).

    ``params`` are the CDN's (``w``, ``h``, ``fit``, ``auto``, ``q``, ``max_w``…). Passing
    ``rect`` or ``crop`` switches off the hotspot logic, as in image-url.
    """
    asset_id, width, height, ext = parse_image_ref(_asset_id(source))
    base = f"{cdn_base.rstrip('/')}/images/{project_id}/{dataset}/{asset_id}-{width}x{height}.{ext}"
    values = {k.replace("_", "-"): v for k, v in params.items() if v is not None}
    query: list[str] = []
    if "rect" in values:
        query.append(f"rect={values.pop('rect')}")
    elif "crop" not in values and not {"fp-x", "fp-y"} & values.keys():
        rect = _rect(source, width, height, values.get("w"), values.get("h"))
        if rect is not None:
            query.append("rect=" + ",".join(str(v) for v in rect))
    for name in ("bg", "fp-x", "fp-y", "flip", *_PARAM_ORDER):
        if name in values:
            query.append(f"{name}={quote(str(values.pop(name)), safe='')}")
    query.extend(f"{k}={quote(str(v), safe='')}" for k, v in values.items())
    return f"{base}?{'&'.join(query)}" if query else base


def file_url(source: Any, *, cdn_base: str = SANITY_CDN, project_id: str, dataset: str) -> str:
    """URL of a file asset ``file-<id>-<ext>`` (files carry no dimensions)."""
    match = _FILE_REF.match(_asset_id(source))
    if not match:
        raise ImageRefError(f"not a file asset reference: {source!r}")
    return f"{cdn_base.rstrip('/')}/files/{project_id}/{dataset}/{match.group(1)}.{match.group(2)}"
