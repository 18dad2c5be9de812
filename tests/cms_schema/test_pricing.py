"""The price rule's one table of cases, run against the Python rule and against the Studio's
generated TypeScript (compiled with the ``typescript`` package, run with Node)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cms_schema.pricing import CASES, market_variant_price, variant_price
from cms_schema.studio_gen import STUDIO
from tests.support.studio_ts import run_compiled

TABLE: list[dict[str, Any]] = json.loads(CASES.read_text())["cases"]
NAMES = [case["name"] for case in TABLE]

#: Runs the compiled rule over the table and prints one price (or null) per case.
RUNNER = """
const {variantPrice, marketVariantPrice} = require(process.argv[2])
const {cases} = require(process.argv[3])
const price = (c) =>
  c.market ? marketVariantPrice(c.product, c.variant, c.market) : variantPrice(c.product, c.variant)
console.log(JSON.stringify(cases.map(price)))
"""


def test_the_table_covers_what_the_rule_decides() -> None:
    """The decisions the docstring names are each in the table."""
    overrides = [c["variant"].get("price") for c in TABLE if "price" in c["variant"]]
    assert 0 in overrides and None in overrides
    assert any(c["price"] is None for c in TABLE)
    assert any(c["product"].get("sizeSurcharges") for c in TABLE if c["price"] is not None)
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("case", TABLE, ids=NAMES)
def test_python_rule(case: dict[str, Any]) -> None:
    if "market" in case:
        assert (
            market_variant_price(case["product"], case["variant"], case["market"]) == case["price"]
        )
    else:
        assert variant_price(case["product"], case["variant"]) == case["price"]


@pytest.fixture(scope="module")
def typescript_prices(tmp_path_factory: pytest.TempPathFactory) -> list[int | None]:
    prices: list[int | None] = run_compiled(
        STUDIO / "pricing.ts", RUNNER, Path(CASES), tmp_path_factory.mktemp("pricing-ts")
    )
    assert len(prices) == len(TABLE)
    return prices


@pytest.mark.parametrize("index", range(len(TABLE)), ids=NAMES)
def test_generated_typescript_rule(typescript_prices: list[int | None], index: int) -> None:
    assert typescript_prices[index] == TABLE[index]["price"]


def test_studio_readiness_check_prices_with_the_generated_rule() -> None:
    """Studio's print-readiness rule calls ``variantPrice`` instead of pricing inline."""
    product_ts = (STUDIO / "schemaTypes" / "product.ts").read_text()
    assert "import {marketVariantPrice, variantPrice} from '../pricing'" in product_ts
    assert "marketVariantPrice(doc, v, m)" in product_ts
    assert "const price = variantPrice(doc, v)" in product_ts
    assert "basePrice ??" not in product_ts and "sizeSurcharges ??" not in product_ts
