"""The brand from the CMS (``siteSettings``): its colours and font as a stylesheet (the CSP
allows no inline styles), and its favicon at ``/favicon.ico``."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

from flask import Blueprint, Response, url_for
from flask.typing import ResponseReturnValue
from PIL import Image, UnidentifiedImageError

from storefront.container import services
from storefront.errors import NotFound
from storefront.sanity.errors import ContentError
from storefront.web.auth import access

bp = Blueprint("brand", __name__)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
#: CSS variable per brand colour; the stylesheet's defaults stand for any that is unset.
COLOUR_VARIABLES = {"ink": "--ink", "paper": "--paper", "accent": "--moss", "highlight": "--rust"}
FONTS = {
    "League Spartan": '"League Spartan", system-ui, sans-serif',
    "System": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
}
_icons: dict[str, bytes] = {}


def brand() -> dict[str, Any]:
    """The site settings (cached reads), for every page; empty when the content cannot be
    read (an error page must still render)."""
    read = getattr(services().catalog, "site_settings", None)  # unit tests' stand-ins lack it
    if read is None:
        return {}
    try:
        found: dict[str, Any] = read() or {}
    except ContentError:
        return {}
    return found


def brand_css(settings: dict[str, Any]) -> str:
    colours = settings.get("brandColours") or {}
    rules = [
        f"{var}:{colours[name]}"
        for name, var in COLOUR_VARIABLES.items()
        if isinstance(colours.get(name), str) and _HEX.match(colours[name])
    ]
    font = FONTS.get(str(settings.get("typography") or ""), FONTS["League Spartan"])
    rules.append(f"--font:{font}")
    return ":root{" + ";".join(rules) + "}\n"


def brand_css_url() -> str:
    css = brand_css(brand())
    return url_for("brand.stylesheet", v=hashlib.sha1(css.encode()).hexdigest()[:10])  # noqa: S324


@bp.get("/brand.css")
@access("public")
def stylesheet() -> ResponseReturnValue:
    response = Response(brand_css(brand()), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/favicon.ico")
@access("public")
def favicon() -> ResponseReturnValue:
    icon = brand().get("favicon") or brand().get("logo") or {}
    ref = (icon.get("asset") or {}).get("_ref") if isinstance(icon, dict) else None
    if not ref:
        raise NotFound("This shop has no icon yet.")
    data = _icons.get(ref)
    if data is None:
        try:
            png = services().content.public.download_image(ref, w=64, h=64, fm="png")
            with Image.open(io.BytesIO(png)) as image:
                out = io.BytesIO()
                image.convert("RGBA").save(out, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
        except (ContentError, UnidentifiedImageError, OSError) as exc:
            raise NotFound("This shop's icon cannot be read.") from exc
        data = _icons[ref] = out.getvalue()
    response = Response(data, mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
