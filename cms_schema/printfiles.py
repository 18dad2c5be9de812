"""Will a print file print well? The one rule for a design's print files, judged on the
facts Sanity keeps about an uploaded image (its asset document), so the Studio can apply the
same rule before publishing.

A print file passes when it is

- **big enough**: at least :data:`MIN_DPI` over the garment's print area for that side
  (:data:`PRINT_AREAS`, Gelato's print area in tenths of a millimetre), in both directions;
- **transparent**: a PNG with an alpha channel and at least one transparent pixel
  (``metadata.hasAlpha`` and not ``metadata.isOpaque``) — an opaque file prints its
  background as a rectangle on the shirt;
- **RGB**: when the colour mode is known (``metadata.colorMode``, which the local lake
  records; Sanity's own asset documents do not carry it), one of :data:`COLOUR_MODES`;
- **not too heavy**: at most :data:`MAX_BYTES`, Gelato's limit for a file it fetches.

The Studio runs the same rule in TypeScript (``printFileProblems`` in ``cms_schema/studio/
printfiles.ts``, generated from :data:`PRINTFILES_TS`); ``print_file_cases.json`` is the one
table of cases both are tested against, messages included.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CASES = Path(__file__).with_name("print_file_cases.json")

MIN_DPI = 300
MAX_BYTES = 100_000_000
COLOUR_MODES = ("rgb", "rgba", "palette")
#: Gelato's print areas per product family and side: (width, height) in tenths of a mm.
#: The classic and heavyweight crew-necks print up to 12 × 16 inches on either side.
PRINT_AREAS: dict[str, dict[str, tuple[int, int]]] = {
    "crewneck-unisex-classic": {"front": (3048, 4064), "back": (3048, 4064)},
    "crewneck-unisex-heavyweight": {"front": (3048, 4064), "back": (3048, 4064)},
}
DEFAULT_AREA = (3048, 4064)


def needed_pixels(tenths_mm: int) -> int:
    """Pixels that cover ``tenths_mm`` at :data:`MIN_DPI` (rounded up; 254 tenths an inch)."""
    return -(-tenths_mm * MIN_DPI // 254)


def print_area(family: str, side: str) -> tuple[int, int]:
    return PRINT_AREAS.get(family, {}).get(side, DEFAULT_AREA)


def _mm(tenths: int) -> str:
    return f"{tenths / 10:g}"


def print_file_problems(asset: Mapping[str, Any] | None, family: str, side: str) -> list[str]:
    """What stops ``asset`` (a ``sanity.imageAsset`` document, or ``None``) from printing well
    on ``side`` of a ``family`` shirt; empty when nothing does. A missing file is the field
    rule's business, not this one's."""
    if not asset:
        return []
    label = f"The {side} print file"
    meta = asset.get("metadata") or {}
    dims = meta.get("dimensions") or {}
    width, height = int(dims.get("width") or 0), int(dims.get("height") or 0)
    problems: list[str] = []
    if asset.get("mimeType") != "image/png":
        kind = str(asset.get("mimeType") or "of an unknown type")
        problems.append(f"{label} is {kind}: Gelato needs a PNG with a transparent background.")
    elif not meta.get("hasAlpha") or meta.get("isOpaque") is not False:
        problems.append(
            f"{label} has no transparent background: its background would print as a rectangle."
        )
    mode = meta.get("colorMode")
    if isinstance(mode, str) and mode not in COLOUR_MODES:
        problems.append(f"{label} is in {mode} colour: print files must be RGB.")
    area_w, area_h = print_area(family, side)
    need_w, need_h = needed_pixels(area_w), needed_pixels(area_h)
    if width < need_w or height < need_h:
        dpi = min(width * 254 // area_w, height * 254 // area_h)
        problems.append(
            f"{label} is {width}×{height} px, {dpi} dpi over the {_mm(area_w)}×{_mm(area_h)} mm "
            f"print area: it needs at least {need_w}×{need_h} px ({MIN_DPI} dpi)."
        )
    size = asset.get("size")
    if isinstance(size, int | float) and not isinstance(size, bool) and size > MAX_BYTES:
        problems.append(
            f"{label} is {math.ceil(size / 1_000_000)} MB: Gelato takes files up to "
            f"{MAX_BYTES // 1_000_000} MB."
        )
    return problems


#: The rule in TypeScript for the Studio; constants filled in from this module.
PRINTFILES_TS = """
/** Will a print file print well? See cms_schema/printfiles.py, the rule this mirrors. */
export type Asset = {readonly [field: string]: unknown} | null | undefined

const MIN_DPI = %(min_dpi)s
const MAX_BYTES = %(max_bytes)s
const COLOUR_MODES = %(modes)s
const PRINT_AREAS: Record<string, Record<string, [number, number]>> = %(areas)s
const DEFAULT_AREA: [number, number] = %(default_area)s

function neededPixels(tenthsMm: number): number {
  return Math.ceil((tenthsMm * MIN_DPI) / 254)
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/** What stops ``asset`` from printing well on ``side`` of a ``family`` shirt. */
export function printFileProblems(asset: Asset, family: string, side: string): string[] {
  if (!asset) return []
  const label = `The ${side} print file`
  const meta = record(asset.metadata)
  const dims = record(meta.dimensions)
  const width = Math.trunc(Number(dims.width) || 0)
  const height = Math.trunc(Number(dims.height) || 0)
  const problems: string[] = []
  if (asset.mimeType !== 'image/png') {
    const kind = asset.mimeType ? String(asset.mimeType) : 'of an unknown type'
    problems.push(`${label} is ${kind}: Gelato needs a PNG with a transparent background.`)
  } else if (!meta.hasAlpha || meta.isOpaque !== false) {
    problems.push(
      `${label} has no transparent background: its background would print as a rectangle.`,
    )
  }
  const mode = meta.colorMode
  if (typeof mode === 'string' && !COLOUR_MODES.includes(mode)) {
    problems.push(`${label} is in ${mode} colour: print files must be RGB.`)
  }
  const [areaW, areaH] = PRINT_AREAS[family]?.[side] ?? DEFAULT_AREA
  const needW = neededPixels(areaW)
  const needH = neededPixels(areaH)
  if (width < needW || height < needH) {
    const dpi = Math.min(Math.floor((width * 254) / areaW), Math.floor((height * 254) / areaH))
    problems.push(
      `${label} is ${width}×${height} px, ${dpi} dpi over the ${areaW / 10}×${areaH / 10} mm ` +
        `print area: it needs at least ${needW}×${needH} px (${MIN_DPI} dpi).`,
    )
  }
  const size = asset.size
  if (typeof size === 'number' && size > MAX_BYTES) {
    problems.push(
      `${label} is ${Math.ceil(size / 1000000)} MB: ` +
        `Gelato takes files up to ${MAX_BYTES / 1000000} MB.`,
    )
  }
  return problems
}
"""


def printfiles_ts() -> str:
    return PRINTFILES_TS % {
        "min_dpi": MIN_DPI,
        "max_bytes": MAX_BYTES,
        "modes": json.dumps(list(COLOUR_MODES)),
        "areas": json.dumps(
            {k: {s: list(a) for s, a in v.items()} for k, v in PRINT_AREAS.items()}
        ),
        "default_area": json.dumps(list(DEFAULT_AREA)),
    }
