"""Print files that would print badly are stopped: one table of cases run against the
Python rule and the Studio's generated TypeScript (compiled with ``typescript``, run with
Node); the lake measures the facts the rule reads; the demo catalog passes and the old
600 × 600 opaque demo artwork fails."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cms_schema import DEMO_CATALOG
from cms_schema.printfiles import CASES, print_file_problems
from cms_schema.studio_gen import STUDIO
from cms_schema.validate import check_export
from contentlake.assets import image_document
from contentlake.exports import read_export, resolve_assets
from tests.support.studio_ts import run_compiled

TABLE: list[dict[str, Any]] = json.loads(CASES.read_text())["cases"]
NAMES = [case["name"] for case in TABLE]

RUNNER = """
const {printFileProblems} = require(process.argv[2])
const {cases} = require(process.argv[3])
console.log(JSON.stringify(cases.map((c) => printFileProblems(c.asset, c.family, c.side))))
"""


def test_the_table_covers_each_check() -> None:
    messages = " ".join(m for case in TABLE for m in case["problems"])
    for words in ("dpi", "transparent", "must be RGB", "MB", "Gelato needs a PNG"):
        assert words in messages
    assert any(not case["problems"] for case in TABLE)
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("case", TABLE, ids=NAMES)
def test_python_rule(case: dict[str, Any]) -> None:
    assert print_file_problems(case["asset"], case["family"], case["side"]) == case["problems"]


@pytest.fixture(scope="module")
def typescript_problems(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    problems: list[list[str]] = run_compiled(
        STUDIO / "printfiles.ts", RUNNER, Path(CASES), tmp_path_factory.mktemp("printfiles-ts")
    )
    assert len(problems) == len(TABLE)
    return problems


@pytest.mark.parametrize("index", range(len(TABLE)), ids=NAMES)
def test_generated_typescript_rule(typescript_problems: list[list[str]], index: int) -> None:
    assert typescript_problems[index] == TABLE[index]["problems"]


def test_studio_blocks_publishing_on_the_print_files() -> None:
    product_ts = (STUDIO / "schemaTypes" / "product.ts").read_text()
    assert "import {printFileProblems} from '../printfiles'" in product_ts
    assert "printFileProblems(design.printFileFront?.file, family, 'front')" in product_ts
    assert '"file": asset->' in product_ts


def _png(size: tuple[int, int], mode: str, colour: Any) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="PNG")
    return out.getvalue()


def _facts(data: bytes) -> dict[str, Any]:
    doc, _ = image_document(data, "x.png", project_id="p", dataset="d", cdn_base="http://x")
    return doc


def test_the_lake_measures_transparency_and_colour_mode() -> None:
    opaque = _facts(_png((60, 60), "RGBA", (10, 20, 30, 255)))["metadata"]
    assert (opaque["hasAlpha"], opaque["isOpaque"], opaque["colorMode"]) == (True, True, "rgba")
    clear = _facts(_png((60, 60), "RGBA", (10, 20, 30, 0)))["metadata"]
    assert (clear["hasAlpha"], clear["isOpaque"]) == (True, False)
    rgb = _facts(_png((60, 60), "RGB", (1, 2, 3)))["metadata"]
    assert (rgb["hasAlpha"], rgb["isOpaque"], rgb["colorMode"]) == (False, True, "rgb")
    out = io.BytesIO()
    Image.new("CMYK", (40, 40), (0, 0, 0, 255)).save(out, format="JPEG")
    cmyk = _facts(out.getvalue())
    assert cmyk["metadata"]["colorMode"] == "cmyk"
    assert "print files must be RGB" in " ".join(
        print_file_problems(cmyk, "crewneck-unisex-classic", "front")
    )


def test_the_old_demo_artwork_fails_and_the_new_passes() -> None:
    """Yesterday's demo print file: a 600 × 600 opaque palette PNG."""
    old = Image.new("RGB", (600, 600), "#1d2a4d").quantize(colors=8)
    buffer = io.BytesIO()
    old.save(buffer, format="PNG")
    problems = print_file_problems(_facts(buffer.getvalue()), "crewneck-unisex-classic", "front")
    assert len(problems) == 2
    assert "no transparent background" in problems[0]
    assert "600×600 px, 37 dpi" in problems[1]
    contents = read_export(DEMO_CATALOG)
    documents, _ = resolve_assets(contents, project_id="p", dataset="d", cdn_base="http://x")
    assert check_export(documents) == []
    prints = [
        d
        for d in documents
        if d["_type"] == "sanity.imageAsset" and d["metadata"]["dimensions"]["width"] >= 3600
    ]
    designs = [d for d in documents if d["_type"] == "design"]
    assert len(prints) == len(designs) + sum(1 for d in designs if d.get("printFileBack"))
    assert all(d["metadata"]["isOpaque"] is False for d in prints)
    # Print files are not the display images.
    assert all(
        d["printFileFront"]["asset"]["_ref"] != d["artworkFront"]["asset"]["_ref"] for d in designs
    )


def test_a_bad_print_file_is_named_by_content_check(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from storefront.cli import cli

    folder = tmp_path / "export"
    (folder / "images").mkdir(parents=True)
    lines = (DEMO_CATALOG / "data.ndjson").read_text().splitlines()
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        for node in [doc.get("printFileFront"), doc.get("printFileBack"), *doc.values()]:
            if isinstance(node, dict) and "_sanityAsset" in node:
                name = node["_sanityAsset"].rsplit("/", 1)[1]
                (folder / "images" / name).write_bytes(
                    (DEMO_CATALOG / "images" / name).read_bytes()
                )
    design = next(d for d in docs if d["_id"] == "design-compost-happens")
    small = _png((600, 600), "RGB", "#ffffff")
    import hashlib

    name = f"{hashlib.sha1(small).hexdigest()}-600x600.png"  # noqa: S324
    (folder / "images" / name).write_bytes(small)
    design["printFileFront"]["_sanityAsset"] = f"image@file://./images/{name}"
    (folder / "data.ndjson").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    result = CliRunner().invoke(cli, ["content", "check", str(folder)])
    assert result.exit_code == 1, result.output
    assert "product-compost-happens: design.printFileFront: The front print file is 600×600 px" in (
        result.output
    )
    assert "product-compost-happens: design.printFileFront: The front print file has no" in (
        result.output
    )
