"""Product pictures: the design's print file on a t-shirt of the colour the shopper picked.

The shop draws them itself (Pillow): a shaded shirt in the garment's colour, the print file
scaled into the print area on the chest (or the back). A picture is addressed by product,
colour, side, width and format (:func:`mockup_path`); its ``v`` parameter is a digest of what
it is made from (the print file's asset id, the colour's hex, :data:`RENDER_VERSION`), so a
new print file or colour gets a new URL and the old one can be cached for ever.

Rendered pictures are kept on disk (``DATA_DIR/mockups``): one master per print file, colour
and side, and each width and format cut from it, so a picture is drawn once per process
lifetime of the files, not per request.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter

RENDER_VERSION = "1"
WIDTHS = (320, 480, 640, 960, 1280)
MASTER = 1280
#: Output formats: the modern one first, then the fallback every browser and mail client reads.
FORMATS = {"webp": ("WEBP", "image/webp"), "jpg": ("JPEG", "image/jpeg")}
BACKGROUND = (236, 232, 223)
SIDES = ("front", "back")
#: The print area on the drawn shirt (fractions of the picture): 12 × 16 in on the chest.
PRINT_BOX = (0.37, 0.215, 0.63, 0.562)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def colour_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def mockup_version(print_ref: str, hex_colour: str) -> str:
    key = f"{RENDER_VERSION}|{print_ref}|{hex_colour.lower()}".encode()
    return hashlib.sha1(key).hexdigest()[:12]  # noqa: S324 - a cache key, not a secret


def mockup_path(product_id: str, colour: str, side: str, width: int, fmt: str, version: str) -> str:
    """The shop's URL path of a picture (the route in ``storefront/web/shop/mockups.py``)."""
    return f"/mockups/{product_id}/{colour_slug(colour)}/{side}-{width}.{fmt}?v={version}"


@dataclass(frozen=True)
class Garment:
    """What a picture is made of: the print file's asset id and the garment's colour."""

    print_ref: str
    hex_colour: str
    side: str

    @property
    def version(self) -> str:
        return mockup_version(self.print_ref, self.hex_colour)


def garment_for(raw: Mapping[str, Any], colour: str, side: str = "front") -> Garment | None:
    """The garment of a product projection (``design.printFront``/``printBack`` and
    ``colours``) in ``colour`` (a name or its slug); ``None`` when there is none."""
    design = raw.get("design") or {}
    ref = (design.get("printFront" if side == "front" else "printBack") or {}).get("_ref")
    if not ref:
        return None
    wanted = colour_slug(colour)
    for entry in raw.get("colours") or []:
        if colour_slug(str(entry.get("name") or "")) == wanted:
            hex_colour = str(entry.get("hex") or "#ffffff")
            return Garment(ref, hex_colour if _HEX.match(hex_colour) else "#ffffff", side)
    return None


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _shirt_outline(size: int, side: str) -> list[tuple[float, float]]:
    k = size / 1200
    points = [
        (500, 120), (400, 150), (200, 270), (120, 330), (225, 560), (355, 490),
        (345, 1120), (855, 1120), (845, 490), (975, 560), (1080, 330), (1000, 270),
        (800, 150), (700, 120),
    ]  # fmt: skip
    if side == "back":
        points[0], points[-1] = (520, 150), (680, 150)
    return [(x * k, y * k) for x, y in points]


@functools.lru_cache(maxsize=32)
def draw_shirt(garment_hex: str, side: str, size: int = MASTER) -> tuple[Image.Image, Image.Image]:
    """A shaded shirt in ``garment_hex`` on the background, and the shading to apply to
    the print (so the print follows the fabric). Drawn once per colour and side: callers
    copy before they paint."""
    k = size / 1200
    colour = _rgb(garment_hex)
    shape = Image.new("L", (size, size), 0)
    ImageDraw.Draw(shape).polygon(_shirt_outline(size, side), fill=255)
    collar = Image.new("L", (size, size), 0)
    neck = ImageDraw.Draw(collar)
    if side == "front":
        neck.ellipse((500 * k, 80 * k, 700 * k, 215 * k), fill=255)
    else:
        neck.ellipse((515 * k, 90 * k, 685 * k, 150 * k), fill=255)
    # Light from the upper left: darker towards the sides and the hem, folds under the arms.
    shade = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(shade)
    for i in range(60):
        tone = 255 - int(55 * (i / 60) ** 2)
        inset = i * size / 240
        draw.rectangle((0, 0, inset, size), fill=tone)
        draw.rectangle((size - inset * 0.8, 0, size, size), fill=tone)
    for x0, x1 in ((355, 405), (795, 845)):
        draw.polygon([(x0 * k, 500 * k), (x1 * k, 500 * k), (x0 * k + 10 * k, 820 * k)], fill=205)
    shade = shade.filter(ImageFilter.GaussianBlur(24 * k))
    picture = Image.new("RGB", (size, size), BACKGROUND)
    shadow = shape.filter(ImageFilter.GaussianBlur(18 * k))
    picture.paste((200, 195, 186), (int(8 * k), int(14 * k)), shadow)
    fabric = ImageChops.multiply(Image.new("RGB", (size, size), colour), shade.convert("RGB"))
    picture.paste(fabric, (0, 0), shape)
    inside = tuple(max(0, int(c * 0.72)) for c in colour)
    picture.paste(inside, (0, 0), ImageChops.multiply(collar, shape))
    edge = tuple(max(0, int(c * 0.8)) for c in colour)
    ImageDraw.Draw(picture).line(
        [*_shirt_outline(size, side), _shirt_outline(size, side)[0]],
        fill=edge,
        width=max(1, int(3 * k)),
        joint="curve",
    )
    return picture, shade


def render(print_png: bytes, garment_hex: str, side: str, size: int = MASTER) -> Image.Image:
    """The picture at ``size`` px square: the shirt with the print on it."""
    shirt, shade = draw_shirt(garment_hex, side, size)
    picture = shirt.copy()
    left, top, right, bottom = (int(v * size) for v in PRINT_BOX)
    with Image.open(io.BytesIO(print_png)) as source:
        artwork = source.convert("RGBA")
    artwork.thumbnail((right - left, bottom - top), Image.Resampling.LANCZOS)
    x = left + (right - left - artwork.width) // 2
    region = shade.crop((x, top, x + artwork.width, top + artwork.height)).convert("RGB")
    shaded = ImageChops.multiply(artwork.convert("RGB"), region)
    shaded.putalpha(artwork.getchannel("A"))
    picture.paste(shaded, (x, top), shaded)
    return picture


def encode(image: Image.Image, fmt: str) -> bytes:
    pil_format, _ = FORMATS[fmt]
    out = io.BytesIO()
    options: dict[str, Any] = {"method": 4} if fmt == "webp" else {"optimize": True}
    image.save(out, pil_format, quality=82, **options)
    return out.getvalue()


class Mockups:
    """Renders pictures and keeps them under ``folder`` (memory only when ``None``).

    ``fetch(print_ref, width)`` returns the print file's bytes, at least ``width`` px wide
    (the CDN resizes it, so a 300 dpi file is not downloaded whole)."""

    def __init__(self, folder: Path | None, fetch: Callable[[str, int], bytes]) -> None:
        self.folder = folder
        self.fetch = fetch
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.renders = 0

    def _load(self, name: str) -> bytes | None:
        if self.folder is None:
            return self._memory.get(name)
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None

    def _save(self, name: str, data: bytes) -> None:
        if self.folder is None:
            self._memory[name] = data
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{name}.{threading.get_ident()}.part"
        tmp.write_bytes(data)
        tmp.replace(self.folder / name)

    def picture(self, garment: Garment, width: int, fmt: str) -> bytes:
        """The picture of ``garment`` at ``width`` (one of :data:`WIDTHS`) as ``fmt``."""
        if width not in WIDTHS or fmt not in FORMATS or garment.side not in SIDES:
            raise ValueError("no such picture")
        base = f"{garment.version}-{garment.side}"
        name = f"{base}-{width}.{fmt}"
        cached = self._load(name)
        if cached is not None:
            return cached
        with self._lock:  # one render at a time: concurrent misses wait for the first
            cached = self._load(name)
            if cached is not None:
                return cached
            master_png = self._load(f"{base}.png")
            if master_png is None:
                printed = self.fetch(garment.print_ref, 640)
                image = render(printed, garment.hex_colour, garment.side)
                self.renders += 1
                buffer = io.BytesIO()
                image.save(buffer, "PNG")
                master_png = buffer.getvalue()
                self._save(f"{base}.png", master_png)
            with Image.open(io.BytesIO(master_png)) as master:
                image = master.convert("RGB")
            if width != MASTER:
                image = image.resize((width, width), Image.Resampling.LANCZOS)
            data = encode(image, fmt)
            self._save(name, data)
            return data
