"""The image CDN's transforms, as Sanity's CDN applies them to ``/images/…`` URLs, so a
``srcset`` against the local lake downloads smaller files as it would in production.

Supported: ``rect`` (crop first), ``w``/``h`` (and ``max-w``/``max-h``, ``dpr``), ``fit``
(``clip`` — the default — ``max``, ``min``, ``crop``, ``fill``, ``fillmax``, ``scale``),
``fp-x``/``fp-y`` (the crop's focal point), ``bg`` (fill colour), ``fm`` (``jpg``, ``pjpg``,
``png``, ``webp``, ``avif``), ``auto=format`` (WebP when the browser accepts it), ``q``.
Unknown parameters are ignored, as the CDN does. Results are kept in a small memory cache.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping

from PIL import Image, ImageColor

FORMATS = {
    "jpg": ("JPEG", "image/jpeg"),
    "pjpg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
    "avif": ("AVIF", "image/avif"),
}
_TRANSFORMS = ("rect", "w", "h", "max-w", "max-h", "fit", "fm", "auto", "q", "dpr", "bg")
MAX_SIDE = 8192


class TransformError(ValueError):
    """A parameter the CDN would refuse (400)."""


def wants_transform(params: Mapping[str, str]) -> bool:
    return any(name in params for name in _TRANSFORMS)


def _number(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise TransformError(f"{name} must be a number") from exc
    if not 0 < value <= MAX_SIDE:
        raise TransformError(f"{name} must be between 1 and {MAX_SIDE}")
    return value


def choose_format(params: Mapping[str, str], accept: str, original: str) -> str:
    """The output format: ``fm``, else WebP for ``auto=format`` when accepted, else the
    original's."""
    fm = params.get("fm")
    if fm:
        if fm not in FORMATS:
            raise TransformError(f"fm must be one of {', '.join(FORMATS)}")
        return fm
    if "format" in params.get("auto", "").split(",") and "image/webp" in accept:
        return "webp"
    return {"jpeg": "jpg"}.get(original, original)


def _crop_box(
    size: tuple[int, int], target: tuple[int, int], fx: float, fy: float
) -> tuple[int, int, int, int]:
    width, height = size
    want = target[0] / target[1]
    if width / height > want:
        crop_w, crop_h = round(height * want), height
    else:
        crop_w, crop_h = width, round(width / want)
    left = min(max(round(fx * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(fy * height - crop_h / 2), 0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def transform(data: bytes, params: Mapping[str, str], fmt: str) -> bytes:
    """``data`` transformed by the CDN ``params`` and encoded as ``fmt``."""
    with Image.open(io.BytesIO(data)) as original:
        original.load()
        image: Image.Image = original
        if rect := params.get("rect"):
            try:
                x, y, w, h = (int(v) for v in rect.split(","))
            except ValueError as exc:
                raise TransformError("rect must be x,y,width,height") from exc
            image = image.crop((x, y, x + w, y + h))
        dpr = _number(params, "dpr") or 1.0
        w_param, h_param = _number(params, "w"), _number(params, "h")
        max_w, max_h = _number(params, "max-w"), _number(params, "max-h")
        fit = params.get("fit", "clip")
        width, height = image.size
        tw = w_param * dpr if w_param else None
        th = h_param * dpr if h_param else None
        if tw and th and fit in ("crop", "min"):
            fx = float(params.get("fp-x") or 0.5)
            fy = float(params.get("fp-y") or 0.5)
            image = image.crop(_crop_box(image.size, (round(tw), round(th)), fx, fy))
            if fit == "crop" or image.width > tw:
                image = image.resize((round(tw), round(th)), Image.Resampling.LANCZOS)
        elif tw and th and fit == "scale":
            image = image.resize((round(tw), round(th)), Image.Resampling.LANCZOS)
        elif tw or th:
            scale = min(tw / width if tw else float("inf"), th / height if th else float("inf"))
            if fit in ("max", "fillmax"):
                scale = min(scale, 1.0)
            new = (max(1, round(width * scale)), max(1, round(height * scale)))
            if new != image.size:
                image = image.resize(new, Image.Resampling.LANCZOS)
            if fit in ("fill", "fillmax") and tw and th:
                canvas = Image.new("RGBA", (round(tw), round(th)), _colour(params.get("bg")))
                canvas.paste(
                    image.convert("RGBA"),
                    ((canvas.width - image.width) // 2, (canvas.height - image.height) // 2),
                )
                image = canvas
        if max_w or max_h:
            image.thumbnail((int(max_w or MAX_SIDE), int(max_h or MAX_SIDE)))
        return encode(image, fmt, int(_number(params, "q") or 75))


def _colour(value: str | None) -> tuple[int, int, int, int]:
    if not value:
        return (255, 255, 255, 0)
    text = value if value.startswith("#") else f"#{value}"
    try:
        rgb = ImageColor.getrgb(text)
    except ValueError as exc:
        raise TransformError("bg must be a hex colour") from exc
    return (rgb[0], rgb[1], rgb[2], 255 if len(rgb) == 3 else rgb[3])


def encode(image: Image.Image, fmt: str, quality: int = 75) -> bytes:
    pil_format, _ = FORMATS[fmt]
    out = io.BytesIO()
    if pil_format == "JPEG":
        if image.mode != "RGB":
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=quality, progressive=fmt == "pjpg", optimize=True)
    elif pil_format == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, pil_format, quality=quality)
    return out.getvalue()


class TransformCache:
    """The last ``size`` transformed images, by asset, parameters and format."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, str], value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
