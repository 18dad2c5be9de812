"""Validating documents against the declarations (the Content Lake itself validates
nothing), and the print-readiness rule Studio enforces before a product is published."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cms_schema.costs import DEFAULT_MIN_MARGIN_PERCENT, production_cost
from cms_schema.declarations import DocumentType, Field
from cms_schema.pricing import market_variant_price, variant_price
from cms_schema.printfiles import print_file_problems
from cms_schema.types import BY_NAME


@dataclass(frozen=True)
class Problem:
    doc_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.doc_id}: {self.path}: {self.message}"


def margin_floor(cost: int, margin_percent: float) -> int:
    """The lowest price (cents) that keeps ``margin_percent`` over ``cost``: rounded up, and
    computed as ``cost * (100 + margin) / 100`` in that order, exactly as the Studio's
    generated JavaScript does, so both give the same floor for every input."""
    return math.ceil(cost * (100 + margin_percent) / 100)


def _has_image(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("asset") or value.get("_sanityAsset"))


def _check(value: Any, f: Field, path: str, doc_id: str, out: list[Problem]) -> None:
    if value is None or value == "" or value == []:
        if f.required:
            out.append(Problem(doc_id, path, "is required"))
        return
    kind = f.type
    if kind in ("string", "text", "datetime", "url") and not isinstance(value, str):
        out.append(Problem(doc_id, path, "must be text"))
        return
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(Problem(doc_id, path, "must be a number"))
            return
        if f.integer and value != int(value):
            out.append(Problem(doc_id, path, "must be a whole number"))
        if f.min is not None and value < f.min:
            out.append(Problem(doc_id, path, f"must be at least {f.min:g}"))
        if f.max is not None and value > f.max:
            out.append(Problem(doc_id, path, f"must be at most {f.max:g}"))
    if kind == "boolean" and not isinstance(value, bool):
        out.append(Problem(doc_id, path, "must be true or false"))
    if kind == "slug" and not (
        isinstance(value, dict)
        and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", str(value.get("current") or ""))
    ):
        out.append(Problem(doc_id, path, "must be a lower-case slug like my-design"))
    if kind == "image" and f.required and not _has_image(value):
        out.append(Problem(doc_id, path, "needs an uploaded image"))
    if kind == "reference" and not (isinstance(value, dict) and value.get("_ref")):
        out.append(Problem(doc_id, path, "must reference a document"))
    if isinstance(value, str):
        if f.max_length and len(value) > f.max_length:
            out.append(Problem(doc_id, path, f"must be at most {f.max_length} characters"))
        if f.pattern and not re.fullmatch(f.pattern, value):
            out.append(Problem(doc_id, path, f"must be {f.pattern_name or f.pattern}"))
    if kind == "object" and isinstance(value, dict):
        for sub in f.fields:
            _check(value.get(sub.name), sub, f"{path}.{sub.name}", doc_id, out)
    if kind == "array":
        if not isinstance(value, list):
            out.append(Problem(doc_id, path, "must be a list"))
            return
        member = f.of[0] if len(f.of) == 1 else None
        for i, item in enumerate(value):
            if member is not None and member.type not in ("block",):
                _check(item, member, f"{path}[{i}]", doc_id, out)


def validate_document(doc: Mapping[str, Any]) -> list[Problem]:
    doc_type: DocumentType | None = BY_NAME.get(str(doc.get("_type")))
    doc_id = str(doc.get("_id", "?"))
    if doc_type is None:
        return []  # assets and system documents are not ours to judge
    problems: list[Problem] = []
    for f in doc_type.fields:
        _check(doc.get(f.name), f, f.name, doc_id, problems)
    return problems


def print_readiness(
    product: Mapping[str, Any],
    design: Mapping[str, Any] | None,
    settings: Mapping[str, Any] | None = None,
) -> list[Problem]:
    """Can Gelato print every variant, at a price that keeps our margin?"""
    pid = str(product.get("_id", "?"))
    problems: list[Problem] = []
    configured = (settings or {}).get("minimumMarginPercent")  # 0 is a margin, not a gap
    margin = float(DEFAULT_MIN_MARGIN_PERCENT if configured is None else configured)
    if design is None:
        return [Problem(pid, "design", "has no design: nothing to print")]
    if not _has_image(design.get("printFileFront")):
        problems.append(Problem(pid, "design.printFileFront", "the front print file is missing"))
    family = str(product.get("gelatoFamily") or "")
    for i, variant in enumerate(product.get("variants") or []):
        path = f"variants[{i}]"
        uid = variant.get("productUid")
        if not uid:
            problems.append(
                Problem(
                    pid,
                    f"{path}.productUid",
                    f"{variant.get('colour')} {variant.get('size')} has no Gelato productUid",
                )
            )
            continue
        back = str(uid).endswith("_gpr_4-4")
        if back and not _has_image(design.get("printFileBack")):
            problems.append(
                Problem(
                    pid,
                    f"{path}.productUid",
                    f"{uid} prints a back, but the design has no back print file",
                )
            )
        price = variant_price(product, variant)
        if price is None:
            problems.append(
                Problem(
                    pid,
                    path,
                    f"{variant.get('size')} {variant.get('colour')} has no valid price "
                    "(a whole number of cents, at least 1)",
                )
            )
            continue
        cost = production_cost(family, str(variant.get("size")), back_print=back)
        floor = margin_floor(cost, margin)
        if price < floor:
            problems.append(
                Problem(
                    pid,
                    path,
                    f"{variant.get('size')} {variant.get('colour')} "
                    f"sells at {price} cents, under the minimum "
                    f"{floor} ({margin:g}% over cost {cost})",
                )
            )
    return problems


def market_gaps(product: Mapping[str, Any], markets: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Markets in which no variant of ``product`` has a price: it is not sold there. A
    warning for the editor (Studio shows the same one), not a reason to refuse the product."""
    pid = str(product.get("_id", "?"))
    variants = [v for v in product.get("variants") or [] if isinstance(v, Mapping)]
    return [
        Problem(
            pid,
            "prices",
            f"not sold in {m.get('title') or m.get('code')} ({m.get('currency')}): "
            f"no price for market {m.get('code')}",
        )
        for m in markets
        if not any(market_variant_price(product, v, m) is not None for v in variants)
    ]


def market_warnings(docs: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """:func:`market_gaps` of every published product of an export."""
    docs = list(docs)
    markets = sorted(
        (d for d in docs if d.get("_type") == "market"), key=lambda m: m.get("order") or 0
    )
    return [
        gap
        for d in docs
        if d.get("_type") == "product" and d.get("published")
        for gap in market_gaps(d, markets)
    ]


def print_files(
    product: Mapping[str, Any],
    design: Mapping[str, Any] | None,
    assets: Mapping[Any, Mapping[str, Any]],
) -> list[Problem]:
    """The design's print files against ``cms_schema.printfiles`` (resolution, transparency,
    colour mode, size), read from their asset documents in ``assets`` (by ``_id``). A file
    whose asset document is not there is reported: it cannot be judged."""
    pid = str(product.get("_id", "?"))
    family = str(product.get("gelatoFamily") or "")
    problems: list[Problem] = []
    for side, name in (("front", "printFileFront"), ("back", "printFileBack")):
        value = (design or {}).get(name)
        if not _has_image(value):
            continue
        ref = (value.get("asset") or {}).get("_ref") if isinstance(value, dict) else None
        asset = assets.get(ref) if ref else None
        if asset is None:
            problems.append(
                Problem(pid, f"design.{name}", f"the {side} print file is not uploaded yet")
            )
            continue
        problems += [
            Problem(pid, f"design.{name}", m) for m in print_file_problems(asset, family, side)
        ]
    return problems


def check_export(docs: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Every document valid, every published product print-ready. Assets must be resolved
    (``contentlake.exports.resolve_assets``): print files are judged on their asset
    documents."""
    docs = list(docs)
    by_id = {d.get("_id"): d for d in docs}
    settings = by_id.get("siteSettings")
    problems: list[Problem] = []
    for doc in docs:
        problems += validate_document(doc)
        if doc.get("_type") == "product" and doc.get("published"):
            ref = (doc.get("design") or {}).get("_ref")
            problems += print_readiness(doc, by_id.get(ref), settings)
            problems += print_files(doc, by_id.get(ref), by_id)
    return problems
