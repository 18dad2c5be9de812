"""The content model: generated Studio is fresh, the demo catalog is valid and print-ready,
and unprintable products are reported with the document and the reason."""

import copy
import json
import shutil

import pytest

from cms_schema import DEMO_CATALOG
from cms_schema.studio_gen import STUDIO, render_studio
from cms_schema.validate import check_export, market_warnings, print_readiness, validate_document
from contentlake.exports import read_export, resolve_assets


@pytest.fixture(scope="module")
def demo() -> list[dict]:
    """The demo catalog with its assets resolved, as the lake holds it (print files are
    judged on their asset documents)."""
    docs, _ = resolve_assets(
        read_export(DEMO_CATALOG), project_id="p", dataset="d", cdn_base="http://x"
    )
    return docs


def by_id(docs: list[dict], doc_id: str) -> dict:
    return copy.deepcopy(next(d for d in docs if d["_id"] == doc_id))


def test_checked_in_studio_files_are_fresh() -> None:
    stale = [
        rel
        for rel, text in render_studio().items()
        if not (STUDIO / rel).exists() or (STUDIO / rel).read_text() != text
    ]
    assert stale == [], f"run `storefront schema studio`: {stale}"
    product = (STUDIO / "schemaTypes/product.ts").read_text()
    assert "defineType" in product
    assert "rule.custom(async (doc, context)" in product
    assert json.loads((STUDIO / "package.json").read_text())["dependencies"]["sanity"]


def test_the_old_shipping_countries_field_is_hidden_and_optional_in_the_studio() -> None:
    # The markets decide where the shop ships; editors are no longer asked for a second list.
    settings = render_studio()["schemaTypes/siteSettings.ts"]
    field = settings.split('name: "shippingCountries"')[1].split("defineField(")[0]
    assert "hidden: true," in field
    assert "rule.required()" not in field


def test_demo_catalog_is_valid_and_big_enough(demo: list[dict]) -> None:
    assert check_export(demo) == []
    types = [d["_type"] for d in demo]
    assert types.count("design") >= 12
    assert types.count("category") == 3
    assert {"page-home", "page-about", "page-shipping", "page-returns", "page-privacy"} <= {
        d["_id"] for d in demo
    }
    products = [d for d in demo if d["_type"] == "product"]
    assert all(len(set(p["sizes"])) == 5 and len(p["colours"]) >= 2 for p in products)


def test_missing_product_uid_is_reported(demo: list[dict]) -> None:
    product = by_id(demo, "product-compost-happens")
    del product["variants"][0]["productUid"]
    problems = print_readiness(product, by_id(demo, "design-compost-happens"))
    assert [(p.doc_id, p.path) for p in problems] == [
        ("product-compost-happens", "variants[0].productUid")
    ]
    assert "has no Gelato productUid" in problems[0].message
    assert validate_document(product)[0].path == "variants[0].productUid"


def test_missing_back_print_is_reported(demo: list[dict]) -> None:
    product = by_id(demo, "product-compost-happens")  # prints front and back (4-4)
    design = by_id(demo, "design-compost-happens")
    del design["printFileBack"]
    problems = print_readiness(product, design)
    assert problems
    assert all("no back print file" in p.message for p in problems)


def test_price_under_the_margin_is_reported(demo: list[dict]) -> None:
    product = by_id(demo, "product-extinct-is-forever")
    product["basePrice"] = 1500
    problems = print_readiness(
        product, by_id(demo, "design-extinct-is-forever"), {"minimumMarginPercent": 60}
    )
    assert problems
    assert "under the minimum" in problems[0].message
    assert problems[0].doc_id == "product-extinct-is-forever"


def test_an_override_of_zero_is_reported_not_replaced_by_the_base_price(demo: list[dict]) -> None:
    product = by_id(demo, "product-extinct-is-forever")
    product["variants"][1]["price"] = 0
    problems = print_readiness(product, by_id(demo, "design-extinct-is-forever"))
    assert [(p.path, p.message.split(" has ")[-1]) for p in problems] == [
        ("variants[1]", "no valid price (a whole number of cents, at least 1)")
    ]
    assert "variants[1].price" in {p.path for p in validate_document(product)}


def test_bad_fields_are_named(demo: list[dict]) -> None:
    product = by_id(demo, "product-extinct-is-forever")
    product["currency"] = "euro"
    product["slug"] = {"current": "Not A Slug"}
    paths = {p.path for p in validate_document(product)}
    assert {"currency", "slug"} <= paths


def test_content_check_command(tmp_path, demo: list[dict]) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from storefront.cli import cli

    ok = CliRunner().invoke(cli, ["content", "check"])
    assert ok.exit_code == 0, ok.output
    assert "valid and print-ready" in ok.output
    raw = read_export(DEMO_CATALOG).documents
    broken = by_id(raw, "product-compost-happens")
    broken["variants"][0]["productUid"] = ""
    path = tmp_path / "bad"
    shutil.copytree(DEMO_CATALOG, path)
    others = [d for d in raw if d["_id"] != broken["_id"]]
    (path / "data.ndjson").write_text("\n".join(json.dumps(d) for d in [*others, broken]))
    bad = CliRunner().invoke(cli, ["content", "check", str(path)])
    assert bad.exit_code == 1
    assert "product-compost-happens: variants[0].productUid" in bad.output


def test_demo_markets_cover_every_shipping_country_once_and_every_product_is_priced(
    demo: list[dict],
) -> None:
    markets = [d for d in demo if d["_type"] == "market"]
    assert {(m["code"], m["currency"]) for m in markets} >= {
        ("EU", "EUR"),
        ("UK", "GBP"),
        ("US", "USD"),
    }
    countries = [c for m in markets for c in m["countries"]]
    assert len(countries) == len(set(countries)), "a country is in two markets"
    settings = next(d for d in demo if d["_id"] == "siteSettings")
    assert set(settings["shippingCountries"]) <= set(countries)
    assert market_warnings(demo) == []


def test_a_product_without_a_price_for_a_market_is_reported(demo: list[dict]) -> None:
    product = next(d for d in demo if d["_type"] == "product" and d.get("published"))
    product = copy.deepcopy(product)
    product["prices"] = [p for p in product["prices"] if p["market"] != "US"]
    markets = [d for d in demo if d["_type"] == "market"]
    (warning,) = market_warnings([product, *markets])
    assert warning.doc_id == product["_id"] and "no price for market US" in warning.message
