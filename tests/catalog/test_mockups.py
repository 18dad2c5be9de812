"""Every product is shown as its design printed on a shirt of the chosen colour: the page's
picture changes with the colour without JavaScript (a link per colour), the pictures come
in several widths and in WebP with a JPEG fallback, are cached on disk, and the cart shows
the colour in the cart."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from storefront.container import services
from storefront.sanity.errors import ContentUnavailable

HTML = {"Accept": "text/html"}


def _pictures(body: str) -> list[str]:
    return re.findall(r'<img src="(/mockups/[^"]+)"', body)


def _fetch(client: FlaskClient, url: str) -> Image.Image:
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "immutable" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


def _body_colour(image: Image.Image) -> tuple[int, ...]:
    """The shirt's colour below the print, at the hem's height, in the middle."""
    rgb = image.convert("RGB")
    return tuple(rgb.getpixel((rgb.width // 2, int(rgb.height * 0.85))))  # type: ignore[arg-type]


def _close(a: tuple[int, ...], b: tuple[int, ...], slack: int = 40) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a, b, strict=True))


def test_the_picture_follows_the_colour_without_javascript(app: Flask, client: FlaskClient) -> None:
    page = client.get("/products/worm-appreciation-society", headers=HTML).get_data(as_text=True)
    green = _pictures(page)
    assert green and "/forest-green/front-960.jpg" in green[0]
    assert re.search(r'<source type="image/webp" srcset="[^"]*/forest-green/front-320\.webp', page)
    # Choosing Navy is a plain link; the page it opens shows a navy shirt.
    link = re.search(r'href="(/products/worm-appreciation-society\?variant=navy-[a-z0-9]+)"', page)
    assert link
    navy_page = client.get(link.group(1).replace("&amp;", "&"), headers=HTML).get_data(as_text=True)
    navy = _pictures(navy_page)
    assert navy and "/navy/front-960.jpg" in navy[0]
    green_image, navy_image = _fetch(client, green[0]), _fetch(client, navy[0])
    assert green_image.size == (960, 960) and green_image.format == "JPEG"
    assert _close(_body_colour(green_image), (0x2F, 0x5D, 0x3A))
    assert _close(_body_colour(navy_image), (0x1D, 0x2A, 0x4D))
    # The print is on the chest: the centre of the print area is not the shirt's colour.
    rgb = green_image.convert("RGB")
    chest = {rgb.getpixel((x, y)) for x in range(380, 580, 10) for y in range(220, 420, 10)}
    assert len(chest) > 5
    assert 'og:image" content="http://127.0.0.1:8000/mockups/product-worm-appreciation' in page
    assert '"image":["http://127.0.0.1:8000/mockups/product-worm-appreciation' in page


def test_widths_formats_back_prints_and_the_disk_cache(app: Flask, client: FlaskClient) -> None:
    page = client.get("/products/rest-in-plastic", headers=HTML).get_data(as_text=True)
    srcset = re.search(r'<source type="image/webp" srcset="([^"]+)"', page)
    assert srcset
    urls = [part.strip().split(" ")[0] for part in srcset.group(1).split(",")]
    assert [u.split("front-")[1].split(".")[0] for u in urls] == [
        "320",
        "480",
        "640",
        "960",
        "1280",
    ]
    small, large = (
        client.get(urls[0].replace("&amp;", "&")),
        client.get(urls[-1].replace("&amp;", "&")),
    )
    assert small.mimetype == "image/webp" and len(small.data) * 3 < len(large.data)
    assert "/back-960.jpg" in " ".join(_pictures(page))  # the back print, shown too
    mockups = services(app).mockups
    assert mockups is not None
    renders = mockups.renders
    client.get(urls[1].replace("&amp;", "&"))
    assert mockups.renders == renders  # cut from the cached master, not drawn again
    assert list((services(app).settings.data_dir / "mockups").glob("*-front.png"))
    assert client.get("/mockups/product-rest-in-plastic/purple/front-320.jpg").status_code == 404
    assert client.get("/mockups/product-rest-in-plastic/white/front-321.jpg").status_code == 404
    stale = client.get("/mockups/product-rest-in-plastic/white/front-320.jpg?v=old")
    assert stale.status_code == 200 and "max-age=60" in stale.headers["Cache-Control"]


def test_cards_and_the_cart_show_the_chosen_colour(client: FlaskClient) -> None:
    listing = client.get("/shop", headers=HTML).get_data(as_text=True)
    assert len(_pictures(listing)) >= 12
    added = client.post(
        "/cart/add",
        headers={"Sec-Fetch-Site": "same-origin", **HTML},
        data={
            "product_id": "product-compost-happens",
            "variant_key": "forest-green-m",
            "quantity": "1",
        },
    )
    assert added.status_code in (302, 303)
    cart = client.get("/cart", headers=HTML).get_data(as_text=True)
    assert re.search(
        r'<img src="/mockups/product-compost-happens/forest-green/front-320\.jpg', cart
    )


def test_search_finds_motifs(client: FlaskClient) -> None:
    body = client.get("/search?q=skull", headers=HTML).get_data(as_text=True)
    found = re.findall(r'class="card-title">([^<]+)<', body)
    assert sorted(found) == [
        "Doom Scroll Detox",
        "Feed The Worms, Not The Landfill",
        "Skeleton Gardener",
    ]


def test_a_picture_the_content_lake_cannot_serve_now_is_a_503_not_a_500(
    app: Flask, client: FlaskClient
) -> None:
    mockups = services(app).mockups
    assert mockups is not None

    def unreachable(ref: str, width: int) -> bytes:
        raise ContentUnavailable("content API unreachable: [Errno 111] Connection refused")

    mockups.fetch = unreachable
    answer = client.get("/mockups/product-rest-in-plastic/white/front-320.jpg")
    assert answer.status_code == 503
    assert "The print file for this picture cannot be fetched" in answer.get_data(as_text=True)
