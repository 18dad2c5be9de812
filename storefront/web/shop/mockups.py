"""Product pictures: ``/mockups/<product>/<colour>/<side>-<width>.<fmt>?v=<version>``, drawn
by :mod:`storefront.catalog.mockups` and cached on disk. A URL whose version matches the
current print file and colour is cached by browsers and CDNs for a year; an old version is
answered with the current picture for a minute (a page cached before a publish)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from storefront.catalog.mockups import FORMATS, WIDTHS, mockup_path
from storefront.container import services
from storefront.errors import NotFound, ServiceUnavailable
from storefront.sanity.errors import ContentError, ContentUnavailable
from storefront.web.auth import access

bp = Blueprint("mockups", __name__)


@bp.get("/mockups/<product_id>/<colour>/<side>-<int:width>.<fmt>")
@access("public")
def picture(product_id: str, colour: str, side: str, width: int, fmt: str) -> ResponseReturnValue:
    found = services()
    if found.mockups is None or width not in WIDTHS or fmt not in FORMATS:
        raise NotFound("We have no such picture.")
    garment = found.catalog.garment(product_id, colour, side)
    if garment is None:
        raise NotFound("We have no such picture.")
    try:
        data = found.mockups.picture(garment, width, fmt)
    except ContentUnavailable as exc:
        raise ServiceUnavailable(
            "The print file for this picture cannot be fetched right now; try again shortly."
        ) from exc
    except ContentError as exc:
        raise NotFound("The print file for this picture is missing.") from exc
    response = Response(data, mimetype=FORMATS[fmt][1])
    current = request.args.get("v") == garment.version
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if current else "public, max-age=60"
    )
    response.headers["Content-Location"] = mockup_path(
        product_id, colour, side, width, fmt, garment.version
    )
    return response
