"""Artwork for the demo catalog, drawn with Pillow at print resolution.

Each design has its own motif (a melting globe, a gardening skull, a ghost…) over bold
stacked type in the brand's font (League Spartan, ``storefront/static/fonts``). A print file
is a palette PNG of :data:`PRINT_SIZE` — 300 dpi over Gelato's 12 × 16 in print area — with
a transparent background and no anti-aliasing, so it compresses to a few dozen KB; the
display image is the same drawing scaled down with smooth edges. Deterministic.

Every drawing has a dark outline, a light fill and an accent, so it reads on light and
dark shirts alike.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from cms_schema.printfiles import DEFAULT_AREA, needed_pixels

PRINT_SIZE = (needed_pixels(DEFAULT_AREA[0]), needed_pixels(DEFAULT_AREA[1]))
DISPLAY_SIZE = (900, 1200)
#: Drawings are laid out on a 600 × 800 grid and scaled to the print size.
GRID = 600
FONT = (
    Path(__file__).resolve().parents[1]
    / "storefront"
    / "static"
    / "fonts"
    / "LeagueSpartan-Black.woff2"
)
INK, LIGHT, ACCENT, ACCENT2 = 1, 2, 3, 4

Point = tuple[float, float]
Motif = Callable[["Pen"], None]


class Pen:
    """Draws on the print in grid units, with the outline-fill-accent convention."""

    def __init__(self, image: Image.Image) -> None:
        self.draw = ImageDraw.Draw(image)
        self.k = image.width / GRID

    def _xy(self, points: Sequence[Point]) -> list[tuple[float, float]]:
        return [(x * self.k, y * self.k) for x, y in points]

    def _box(self, box: Sequence[float]) -> list[float]:
        return [v * self.k for v in box]

    def ellipse(self, box: Sequence[float], fill: int = LIGHT, line: float = 7) -> None:
        self.draw.ellipse(self._box(box), fill=fill, outline=INK, width=int(line * self.k))

    def poly(self, points: Sequence[Point], fill: int = LIGHT, line: float = 7) -> None:
        xy = self._xy(points)
        self.draw.polygon(xy, fill=fill, outline=INK, width=int(line * self.k))

    def rect(self, box: Sequence[float], fill: int = LIGHT, line: float = 7, r: float = 0) -> None:
        self.draw.rounded_rectangle(
            self._box(box), radius=r * self.k, fill=fill, outline=INK, width=int(line * self.k)
        )

    def line(self, points: Sequence[Point], width: float = 8, fill: int = INK) -> None:
        self.draw.line(self._xy(points), fill=fill, width=int(width * self.k), joint="curve")

    def dot(self, x: float, y: float, r: float, fill: int = INK) -> None:
        self.draw.ellipse(self._box((x - r, y - r, x + r, y + r)), fill=fill)

    def text(self, lines: Sequence[str], top: float, size: float = 78, fill: int = ACCENT) -> float:
        size = min(size, (GRID * 4 / 3 - top - 20) / max(len(lines), 1) - 22)
        for text in lines:
            points = size if len(text) <= 8 else size * 8 / len(text) * 1.1
            font = ImageFont.truetype(str(FONT), int(min(points, size) * self.k))
            left, upper, right, lower = self.draw.textbbox((0, 0), text, font=font)
            x = (GRID * self.k - (right - left)) / 2 - left
            self.draw.text(
                (x, top * self.k - upper),
                text,
                font=font,
                fill=fill,
                stroke_width=int(5 * self.k),
                stroke_fill=INK,
            )
            top += (lower - upper) / self.k + 22
        return top


def skull(p: Pen, cx: float, cy: float, r: float, fill: int = LIGHT) -> None:
    p.ellipse((cx - r, cy - r, cx + r, cy + r * 0.9), fill=fill)
    p.rect((cx - r * 0.55, cy + r * 0.5, cx + r * 0.55, cy + r * 1.15), fill=fill, r=r * 0.15)
    p.ellipse((cx - r * 0.62, cy - r * 0.2, cx - r * 0.12, cy + r * 0.35), fill=INK, line=0)
    p.ellipse((cx + r * 0.12, cy - r * 0.2, cx + r * 0.62, cy + r * 0.35), fill=INK, line=0)
    p.poly([(cx, cy + r * 0.38), (cx - r * 0.12, cy + r * 0.6), (cx + r * 0.12, cy + r * 0.6)], INK)
    for i in range(-2, 3):
        x = cx + i * r * 0.2
        p.line([(x, cy + r * 0.8), (x, cy + r * 1.1)], width=r * 0.06)


# --- one motif per design ----------------------------------------------------------------


def apple_core(p: Pen) -> None:  # Compost Happens
    p.rect((120, 300, 480, 380), fill=ACCENT2, r=30)  # the heap
    p.ellipse((200, 80, 400, 200), fill=ACCENT)
    p.poly([(240, 170), (360, 170), (330, 250), (270, 250)], fill=LIGHT)
    p.ellipse((200, 230, 400, 330), fill=ACCENT)
    p.line([(300, 80), (320, 30)], width=12)
    p.dot(285, 205, 8)
    p.dot(315, 215, 8)
    for x in (150, 450):
        p.line([(x, 290), (x - 20, 250), (x + 10, 220)], width=10)


def burning_globe(p: Pen) -> None:  # The Planet Is Fine
    for i, x in enumerate((170, 240, 300, 360, 430)):
        h = 120 + 40 * (i % 2)
        p.poly([(x - 45, 200), (x, 200 - h), (x + 45, 200)], fill=ACCENT)
    p.ellipse((150, 90, 450, 390), fill=ACCENT2)
    p.poly([(210, 180), (280, 150), (300, 220), (240, 280), (200, 240)], fill=LIGHT)
    p.poly([(330, 260), (400, 230), (410, 320), (350, 340)], fill=LIGHT)
    p.line([(360, 160), (385, 185)], width=8)  # a thumbs-up smile, fine
    p.dot(250, 330, 10)


def gardening_skull(p: Pen) -> None:  # Skeleton Gardener
    skull(p, 300, 190, 120)
    p.line([(300, 70), (300, 10)], width=14, fill=ACCENT2)
    p.ellipse((220, 0, 300, 45), fill=ACCENT2, line=6)
    p.ellipse((300, -10, 390, 40), fill=ACCENT2, line=6)
    p.rect((430, 140, 450, 380), fill=ACCENT, r=8)  # a rake
    p.rect((390, 360, 490, 385), fill=ACCENT, r=6)
    for x in range(395, 490, 20):
        p.line([(x, 385), (x, 410)], width=7)


def diamond(p: Pen) -> None:  # Extinct Is Forever
    p.poly([(180, 150), (420, 150), (480, 220), (300, 400), (120, 220)], fill=ACCENT)
    p.poly([(180, 150), (240, 220), (300, 150), (360, 220), (420, 150)], fill=LIGHT, line=5)
    p.line([(120, 220), (480, 220)], width=6)
    p.line([(240, 220), (300, 400), (360, 220)], width=5)
    for x, y in ((110, 110), (500, 120), (470, 330)):
        p.line([(x - 18, y), (x + 18, y)], width=6)
        p.line([(x, y - 18), (x, y + 18)], width=6)


def hanger(p: Pen) -> None:  # Fast Fashion Kills
    p.line([(300, 70), (300, 120)], width=12)
    p.draw.arc(p._box((270, 20, 330, 90)), 180, 90, fill=INK, width=int(12 * p.k))
    p.poly([(300, 120), (110, 260), (490, 260)], fill=LIGHT, line=10)
    p.poly([(210, 260), (390, 260), (420, 400), (180, 400)], fill=ACCENT)  # a tiny shirt
    p.poly([(210, 260), (160, 300), (185, 330), (215, 300)], fill=ACCENT)
    p.poly([(390, 260), (440, 300), (415, 330), (385, 300)], fill=ACCENT)
    p.line([(275, 320), (300, 345), (325, 320)], width=6)  # x_x on the shirt
    p.line([(250, 300), (270, 320)], width=6)
    p.line([(270, 300), (250, 320)], width=6)
    p.line([(330, 300), (350, 320)], width=6)
    p.line([(350, 300), (330, 320)], width=6)


def top_hat_worm(p: Pen) -> None:  # Worm Appreciation Society
    points = [(100 + i * 8, 300 + 45 * math.sin(i / 6)) for i in range(50)]
    p.line(points, width=60)
    p.line(points, width=44, fill=ACCENT)
    head = points[-1]
    p.dot(head[0], head[1], 34)
    p.dot(head[0], head[1], 27, fill=ACCENT)
    p.dot(head[0] + 8, head[1] - 8, 6)
    p.rect((head[0] - 45, head[1] - 45, head[0] + 45, head[1] - 30), fill=INK, line=0)
    p.rect((head[0] - 28, head[1] - 150, head[0] + 28, head[1] - 40), fill=INK, line=0)
    p.rect((head[0] - 28, head[1] - 70, head[0] + 28, head[1] - 55), fill=ACCENT2, line=0)
    p.ellipse((head[0] + 20, head[1] - 25, head[0] + 50, head[1] + 5), fill=LIGHT, line=4)


def melting_glacier(p: Pen) -> None:  # Last Glacier Tour
    p.poly([(90, 330), (220, 90), (300, 190), (370, 110), (510, 330)], fill=LIGHT)
    p.poly([(220, 90), (255, 160), (230, 150), (200, 175)], fill=ACCENT2, line=4)
    for x, length in ((160, 60), (250, 110), (340, 80), (430, 50)):
        p.rect((x - 14, 320, x + 14, 320 + length), fill=ACCENT2, r=14, line=5)
    p.rect((80, 430, 520, 450), fill=ACCENT, r=8)  # the rising sea


def phone_skull(p: Pen) -> None:  # Doom Scroll Detox
    p.rect((185, 20, 415, 420), fill=INK, r=36, line=0)
    p.rect((200, 60, 400, 380), fill=ACCENT2, r=10, line=4)
    skull(p, 300, 180, 70)
    for y in (300, 330):
        p.rect((230, y, 370, y + 14), fill=LIGHT, r=6, line=3)
    p.dot(300, 400, 10, fill=LIGHT)


def recycling_arrows(p: Pen) -> None:  # Reuse Or Die Trying
    cx, cy, r = 300, 230, 150
    for k in range(3):
        a = math.radians(k * 120 - 90)
        b = math.radians(k * 120 - 10)
        arc = [
            (cx + r * math.cos(a + (b - a) * t / 10), cy + r * math.sin(a + (b - a) * t / 10))
            for t in range(11)
        ]
        p.line(arc, width=46)
        p.line(arc, width=30, fill=ACCENT)
        tip = arc[-1]
        d = b + math.pi / 2
        p.poly(
            [
                (tip[0] + 40 * math.cos(d - 2.4), tip[1] + 40 * math.sin(d - 2.4)),
                (tip[0] + 50 * math.cos(d), tip[1] + 50 * math.sin(d)),
                (tip[0] + 40 * math.cos(d + 2.4), tip[1] + 40 * math.sin(d + 2.4)),
            ],
            fill=ACCENT,
        )
    p.rect((255, 200, 345, 290), fill=LIGHT, r=10)  # a tiny tombstone in the middle
    p.line([(300, 215), (300, 265)], width=6)
    p.line([(282, 232), (318, 232)], width=6)


def shovel(p: Pen) -> None:  # Soil Is The New Black
    p.ellipse((90, 300, 510, 470), fill=ACCENT2)  # the mound
    p.rect((285, 40, 315, 300), fill=ACCENT, r=10)
    p.rect((245, 20, 355, 55), fill=ACCENT, r=16)
    p.poly([(240, 280), (360, 280), (350, 370), (300, 400), (250, 370)], fill=LIGHT)
    for x, y in ((170, 360), (420, 370), (350, 430), (220, 420)):
        p.dot(x, y, 9, fill=LIGHT)


def tombstone_bottle(p: Pen) -> None:  # Rest In Plastic
    p.rect((150, 60, 450, 420), fill=LIGHT, r=120)
    p.rect((100, 400, 500, 440), fill=ACCENT2, r=10)
    p.text(["R.I.P."], 110, size=70, fill=INK)
    p.rect((270, 210, 330, 240), fill=ACCENT, r=5, line=5)  # the bottle cap
    p.rect((245, 240, 355, 380), fill=ACCENT, r=22, line=6)
    p.rect((245, 290, 355, 320), fill=LIGHT, line=5)


def ghost(p: Pen) -> None:  # Carbon Neutral Ghost
    outline = [
        (300 + 150 * math.cos(math.radians(a)), 210 + 150 * math.sin(math.radians(a)))
        for a in range(180, 361, 10)
    ]
    outline += [(450, 420), (400, 380), (350, 420), (300, 380), (250, 420), (200, 380), (150, 420)]
    p.poly(outline, fill=LIGHT, line=9)
    p.ellipse((225, 170, 275, 230), fill=INK, line=0)
    p.ellipse((325, 170, 375, 230), fill=INK, line=0)
    p.ellipse((280, 260, 320, 310), fill=INK, line=0)
    p.ellipse((430, 40, 530, 110), fill=ACCENT, line=6)  # a leaf of a halo
    p.line([(440, 100), (520, 50)], width=5)


def worms_and_skull(p: Pen) -> None:  # Feed The Worms
    p.rect((60, 250, 540, 450), fill=ACCENT2, r=30)  # the soil
    skull(p, 300, 330, 80)
    for base, phase in ((120, 0.0), (470, 1.5)):
        points = [(base + 25 * math.sin(i / 3 + phase), 260 - i * 9) for i in range(24)]
        p.line(points, width=34)
        p.line(points, width=22, fill=ACCENT)
    p.poly([(240, 60), (360, 60), (330, 150), (270, 150)], fill=LIGHT)  # a banana peel
    p.poly([(240, 60), (200, 120), (225, 125), (270, 75)], fill=ACCENT)
    p.poly([(360, 60), (400, 120), (375, 125), (330, 75)], fill=ACCENT)


MOTIFS: dict[str, Motif] = {
    "apple-core": apple_core,
    "burning-globe": burning_globe,
    "gardening-skull": gardening_skull,
    "diamond": diamond,
    "hanger": hanger,
    "top-hat-worm": top_hat_worm,
    "melting-glacier": melting_glacier,
    "phone-skull": phone_skull,
    "recycling-arrows": recycling_arrows,
    "shovel": shovel,
    "tombstone-bottle": tombstone_bottle,
    "ghost": ghost,
    "worms-and-skull": worms_and_skull,
}


def _palette(accent: str, accent2: str) -> list[int]:
    colours = ["#000000", "#151515", "#f6f3ea", accent, accent2]
    flat: list[int] = []
    for c in colours:
        flat += [int(c[i : i + 2], 16) for i in (1, 3, 5)]
    return flat


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, transparency=0)
    return out.getvalue()


def print_file(motif: str, lines: Sequence[str], accent: str, accent2: str) -> bytes:
    """The front print: the motif above the lines, transparent around them."""
    image = Image.new("P", PRINT_SIZE, 0)
    image.putpalette(_palette(accent, accent2))
    pen = Pen(image)
    MOTIFS[motif](pen)
    pen.text(lines, 480, size=96)
    return _png(image)


def back_file(motif: str, lines: Sequence[str], accent: str, accent2: str) -> bytes:
    """A back print: the lines large, with the motif small underneath."""
    image = Image.new("P", PRINT_SIZE, 0)
    image.putpalette(_palette(accent, accent2))
    pen = Pen(image)
    top = pen.text(lines, 60, size=84, fill=LIGHT)
    small = Image.new("P", PRINT_SIZE, 0)
    small.putpalette(_palette(accent, accent2))
    MOTIFS[motif](Pen(small))
    w, h = PRINT_SIZE[0] // 2, PRINT_SIZE[1] // 2
    image.paste(small.resize((w, h), Image.Resampling.NEAREST), (w // 2, int(top * pen.k)))
    return _png(image)


def display_image(print_png: bytes) -> bytes:
    """The print scaled to :data:`DISPLAY_SIZE` with smooth edges (Studio and the mockups'
    fallback use it), a palette PNG with alpha."""
    with Image.open(io.BytesIO(print_png)) as img:
        small = img.convert("RGBA").resize(DISPLAY_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.quantize(colors=48, method=Image.Quantize.FASTOCTREE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


def logo(size: int) -> bytes:
    """The brand's mark: a skull wearing a leaf, on a round badge (an RGBA PNG)."""
    big = size * 4
    image = Image.new("P", (big, big), 0)
    image.putpalette(_palette("#2f5d3a", "#b4492d"))
    pen = Pen(image)
    pen.ellipse((20, 20, 580, 580), fill=ACCENT, line=24)
    skull(pen, 300, 290, 150)
    pen.poly([(300, 140), (390, 40), (470, 70), (400, 150)], fill=ACCENT2, line=14)
    small = image.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()
