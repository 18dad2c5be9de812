"""The size guide: per garment (the product's Gelato family), measurements per size from the
content lake, linked from the product page; an accessible table (caption, column and row
headers). The browser side (axe, roles) is in ``tests/browser/test_every_page.py``."""

import re

from flask.testing import FlaskClient

from tests.support.lake import LakeHandle

HTML = {"Accept": "text/html"}
GUIDE = "/products/skeleton-gardener/size-guide"


def rows(body: str) -> list[list[str]]:
    """The table's body rows as their cells' text."""
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, flags=re.S)
    ]


def test_the_product_page_links_to_its_garments_size_guide(client: FlaskClient) -> None:
    product = client.get("/products/skeleton-gardener").get_data(as_text=True)
    assert f'href="{GUIDE}"' in product
    body = client.get(GUIDE).get_data(as_text=True)
    assert "<h1>Size guide</h1>" in body
    assert "printed on the <strong>Classic unisex crew-neck tee</strong>" in body
    assert (
        "<caption>Classic unisex crew-neck tee: measurements of the shirt laid flat, "
        "in centimetres</caption>" in body
    )
    assert re.findall(r'<th scope="col">([^<]+)</th>', body) == [
        "Size",
        "Chest width",
        "Body length",
        "Sleeve length",
    ]
    assert rows(body) == [
        ["S", "47 cm", "71 cm", "20 cm"],
        ["M", "52 cm", "74 cm", "21 cm"],
        ["L", "56 cm", "76 cm", "22 cm"],
        ["XL", "61 cm", "79 cm", "23 cm"],
        ["2XL", "66 cm", "81 cm", "24 cm"],
    ]
    assert body.count('<th scope="row">') == 5
    assert "How to measure" in body
    assert 'href="/products/skeleton-gardener"' in body


def test_the_measurements_come_from_the_content(client: FlaskClient, lake: LakeHandle) -> None:
    guide = "sizeGuide-crewneck-unisex-classic"
    lake.mutate(
        [
            {"patch": {"id": guide, "set": {'measurements[_key=="m"].chestWidth': 52.5}}},
            {
                "patch": {
                    "id": guide,
                    "insert": {
                        "before": "measurements[0]",
                        "items": [{"_key": "xs", "size": "XS", "chestWidth": 44, "bodyLength": 68}],
                    },
                }
            },
        ]
    )
    body = client.get(GUIDE).get_data(as_text=True)
    table = rows(body)
    assert table[0] == ["XS (not made for this design)", "44 cm", "68 cm", "—"]
    assert table[2] == ["M", "52.5 cm", "74 cm", "21 cm"]


def test_each_garment_has_its_own_guide(client: FlaskClient, lake: LakeHandle) -> None:
    lake.mutate(
        [
            {
                "patch": {
                    "id": "product-skeleton-gardener",
                    "set": {"gelatoFamily": "crewneck-unisex-heavyweight"},
                }
            }
        ]
    )
    body = client.get(GUIDE).get_data(as_text=True)
    assert "<strong>Heavyweight unisex crew-neck tee</strong>" in body
    assert rows(body)[0] == ["S", "52 cm", "70 cm", "21 cm"]


def test_a_garment_without_a_guide_has_no_link_and_a_clear_404(
    client: FlaskClient, lake: LakeHandle
) -> None:
    lake.mutate([{"delete": {"id": "sizeGuide-crewneck-unisex-classic"}}])
    product = client.get("/products/skeleton-gardener").get_data(as_text=True)
    assert "size-guide" not in product
    missing = client.get(GUIDE, headers=HTML)
    assert missing.status_code == 404
    assert "no size guide for this shirt yet" in missing.get_data(as_text=True)
    assert client.get("/products/no-such-shirt/size-guide", headers=HTML).status_code == 404
