"""The lake's image URLs honour the CDN's transform parameters as Sanity's CDN does: a
``srcset`` downloads smaller files for smaller widths, ``auto=format`` sends WebP to a browser
that accepts it, ``fit=crop`` fills the box."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image

from storefront.sanity.images import image_url
from tests.contentlake.support import DATASET, LIVE, PROJECT, TOKEN, make_lake


def _busy_png(width: int, height: int) -> bytes:
    """A noisy picture (so that size follows pixels, as a photo's does)."""
    rng = random.Random(7)
    image = Image.new("RGB", (width, height))
    image.putdata([(rng.randrange(256), rng.randrange(256), 90) for _ in range(width * height)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_widths_formats_and_fits(tmp_path: Path) -> None:
    lake = make_lake(tmp_path)
    try:
        data = _busy_png(800, 600)
        uploaded = lake.http.post(
            f"{LIVE}/v2025-02-19/assets/images/{DATASET}",
            content=data,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        ref = uploaded.json()["document"]["_id"]

        def get(accept: str = "image/png", **params: object) -> tuple[bytes, str, tuple[int, int]]:
            url = image_url(ref, cdn_base=LIVE, project_id=PROJECT, dataset=DATASET, **params)
            response = lake.http.get(url, headers={"Accept": accept})
            assert response.status_code == 200, response.text
            with Image.open(io.BytesIO(response.content)) as img:
                return response.content, response.headers["content-type"], img.size

        original, kind, size = get()
        assert (original, kind, size) == (data, "image/png", (800, 600))
        sizes = [len(get(w=w)[0]) for w in (160, 320, 640)]
        assert sizes == sorted(sizes) and sizes[0] * 4 < sizes[2] < len(data)
        assert get(w=320)[2] == (320, 240)
        assert get(h=150)[2] == (200, 150)
        assert get(w=100, h=100, fit="crop")[2] == (100, 100)
        # image-url adds a rect for w and h; without one, clip keeps the picture inside the box
        plain = image_url(ref, cdn_base=LIVE, project_id=PROJECT, dataset=DATASET)
        with Image.open(io.BytesIO(lake.http.get(plain + "?w=100&h=100").content)) as img:
            assert img.size == (100, 75)
        assert get(w=1600, fit="max")[2] == (800, 600)  # max: never larger
        webp = get("image/avif,image/webp,*/*", w=320, auto="format")
        assert webp[1] == "image/webp" and webp[2] == (320, 240)
        assert get("image/png,*/*", w=320, auto="format")[1] == "image/png"
        assert get(w=320, fm="jpg")[1] == "image/jpeg"
        url = image_url(ref, cdn_base=LIVE, project_id=PROJECT, dataset=DATASET, w=320)
        auto = lake.http.get(url + "&auto=format", headers={"Accept": "image/webp"})
        assert auto.headers["vary"] == "Accept"
        bad = lake.http.get(url.replace("w=320", "w=-4"))
        assert bad.status_code == 400 and "w must be" in bad.json()["error"]["description"]
    finally:
        lake.close()
