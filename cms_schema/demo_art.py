"""Artwork for the demo catalog, drawn with Pillow (a development-time tool only).

Bold stacked type over a simple motif — a melting planet, a skull, a sprout — in a palette
per design. Deterministic for a given seed, and small (palette PNGs).
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont

PALETTES = [
    ("#151515", "#f6f3ea", "#b4492d"),
    ("#2f5d3a", "#f6f3ea", "#e8c547"),
    ("#1d2a4d", "#f6f3ea", "#e07a5f"),
    ("#efe6d2", "#151515", "#2f5d3a"),
    ("#b4492d", "#151515", "#f6f3ea"),
    ("#f6f3ea", "#151515", "#b4492d"),
]
SIZE = 600


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _motif(draw: ImageDraw.ImageDraw, kind: int, ink: str, accent: str) -> None:
    if kind == 0:  # a planet, melting
        draw.ellipse((190, 70, 410, 290), fill=accent)
        for x, length in ((230, 80), (290, 130), (350, 60)):
            draw.rounded_rectangle((x - 12, 250, x + 12, 250 + length), radius=12, fill=accent)
    elif kind == 1:  # a skull
        draw.ellipse((205, 60, 395, 240), fill=accent)
        draw.rectangle((245, 200, 355, 280), fill=accent)
        draw.ellipse((240, 120, 290, 170), fill=ink)
        draw.ellipse((310, 120, 360, 170), fill=ink)
        for x in range(258, 350, 22):
            draw.rectangle((x, 245, x + 8, 280), fill=ink)
    else:  # a sprout
        draw.rectangle((292, 150, 308, 290), fill=accent)
        draw.ellipse((190, 90, 300, 170), fill=accent)
        draw.ellipse((300, 60, 420, 150), fill=accent)
        draw.rectangle((200, 285, 400, 300), fill=accent)


def draw(lines: list[str], *, seed: int, small: bool = False) -> bytes:
    rng = random.Random(seed)
    background, ink, accent = PALETTES[seed % len(PALETTES)]
    image = Image.new("RGB", (SIZE, SIZE), background)
    canvas = ImageDraw.Draw(image)
    if not small:
        _motif(canvas, seed % 3, background, accent)
    top: float = 320 if not small else 150
    for text in lines:
        size = 64 if len(text) <= 9 else (48 if len(text) <= 12 else 38)
        if small:
            size = 52
        font = _font(size)
        left, upper, right, lower = canvas.textbbox((0, 0), text, font=font)
        x = (SIZE - (right - left)) / 2 + rng.uniform(-6, 6)
        canvas.text((x, top), text, font=font, fill=ink)
        top += (lower - upper) + 18
    out = io.BytesIO()
    image.quantize(colors=8).save(out, format="PNG", optimize=True)
    return out.getvalue()
