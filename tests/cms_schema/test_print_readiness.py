"""Print-readiness: one table of cases (``print_readiness_cases.json``) run against
``cms_schema.validate.print_readiness`` and against the Studio's generated rule.

The Studio rule is the document-level ``validation`` of ``cms_schema/studio/schemaTypes/
product.ts``: every ``.ts`` file of the generated Studio is transpiled with the ``typescript``
package (``python -m tests.prepare`` installs it into a cache folder outside the repository),
``sanity``'s ``define*`` helpers are stubbed as the identity, and the rule runs under Node
with a client whose ``fetch`` answers the design and site-settings queries from the case.
Both sides' messages are read into the same codes, so a drift in either language shows as
the case that disagrees. Without Node or the package the JavaScript half is skipped with the
reason locally and fails under ``CI=true`` (``tests/support/material.py``).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cms_schema.studio_gen import STUDIO
from cms_schema.validate import market_gaps, print_readiness
from tests.support.material import require_node, require_npm_package

CASES_FILE = Path(__file__).with_name("print_readiness_cases.json")
TABLE: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]
NAMES = [case["name"] for case in TABLE]

#: Transpiles the Studio into ``out``, stubs ``sanity``, runs the product rule on each case and
#: prints the rule's answers (``true`` or the problem text) as one JSON list.
RUNNER = r"""
const fs = require('fs'), path = require('path')
const [tsPath, studio, out, casesPath, mode] = process.argv.slice(2)
const ts = require(tsPath)
function transpile(dir) {
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const from = path.join(dir, entry.name)
    if (entry.isDirectory()) { if (entry.name !== 'node_modules') transpile(from); continue }
    if (!/\.tsx?$/.test(entry.name)) continue
    const target = path.join(out, path.relative(studio, from)).replace(/\.tsx?$/, '.js')
    fs.mkdirSync(path.dirname(target), {recursive: true})
    const js = ts.transpileModule(fs.readFileSync(from, 'utf8'), {compilerOptions: {
      module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020}}).outputText
    fs.writeFileSync(target, js)
  }
}
transpile(studio)
const stub = path.join(out, 'node_modules', 'sanity')
fs.mkdirSync(stub, {recursive: true})
const same = 'const same = (x) => x\n'
fs.writeFileSync(path.join(stub, 'index.js'), same +
  'module.exports = {defineType: same, defineField: same, defineArrayMember: same}\n')
const {product} = require(path.join(out, 'schemaTypes', 'product.js'))
const customs = []
const rule = {custom(fn) {
  const made = {fn, level: 'error', warning() { made.level = 'warning'; return made }}
  customs.push(made)
  return made
}}
product.validation(rule)
const level = mode === 'warnings' ? 'warning' : 'error'
const custom = (customs.find((r) => r.level === level) || {}).fn
if (!custom) throw new Error(`product.ts has no document-level custom rule of level ${level}`)
const {cases} = JSON.parse(fs.readFileSync(casesPath, 'utf8'))
;(async () => {
  const answers = []
  for (const c of cases) {
    const client = {fetch: async (query, params) => {
      if (query.includes('_type == "market"')) return c.markets
      if (query.includes('siteSettings')) return c.settings
      return params && c.design && params.id === c.design._id ? c.design : null
    }}
    answers.push(await custom(c.product, {getClient: () => client}))
  }
  console.log(JSON.stringify(answers))
})().catch((e) => { console.error(e); process.exit(1) })
"""


def label(variant: dict[str, Any]) -> str:
    return f"{variant.get('colour', '?')} {variant.get('size', '?')}"


def python_codes(case: dict[str, Any]) -> list[str]:
    """The Python check's problems as the table's codes."""
    codes = []
    for problem in print_readiness(case["product"], case["design"], case["settings"]):
        if problem.path == "design":
            codes.append("no-design")
            continue
        if problem.path == "design.printFileFront":
            codes.append("no-front")
            continue
        index = re.match(r"variants\[(\d+)\]", problem.path)
        assert index, problem
        name = label(case["product"]["variants"][int(index.group(1))])
        under = re.search(r"sells at (\d+) cents, under the minimum (\d+)", problem.message)
        if under:
            codes.append(f"under:{name}:{under.group(1)}:{under.group(2)}")
        elif "has no Gelato productUid" in problem.message:
            codes.append(f"no-uid:{name}")
        elif "prints a back" in problem.message:
            codes.append(f"no-back:{name}")
        elif "has no valid price" in problem.message:
            codes.append(f"no-price:{name}")
        else:
            raise AssertionError(f"unknown problem: {problem}")
    return sorted(codes)


_JS_PATTERNS = [
    (re.compile(r"Choose a design"), lambda m: "no-design"),
    (re.compile(r"The design has no front print file\."), lambda m: "no-front"),
    (re.compile(r"(\S+ \S+) has no Gelato productUid\."), lambda m: f"no-uid:{m[1]}"),
    (re.compile(r"(\S+ \S+) prints a back, but"), lambda m: f"no-back:{m[1]}"),
    (
        re.compile(r"(\S+ \S+) sells at (\d+) cents, under the minimum (\d+)\."),
        lambda m: f"under:{m[1]}:{m[2]}:{m[3]}",
    ),
    (re.compile(r"(\S+ \S+) has no valid price"), lambda m: f"no-price:{m[1]}"),
]


def javascript_codes(answer: Any) -> list[str]:
    """The Studio rule's answer (``true`` or one text of problems) as the table's codes."""
    if answer is True:
        return []
    assert isinstance(answer, str) and answer, answer
    codes = [code(match) for pattern, code in _JS_PATTERNS for match in pattern.finditer(answer)]
    assert codes, f"unknown problem text: {answer}"
    return sorted(codes)


def test_the_table_covers_what_the_rule_decides() -> None:
    """Each decision of the rule appears in the table, and names are unique."""
    codes = {code.split(":")[0] for case in TABLE for code in case["problems"]}
    assert codes == {"no-design", "no-front", "no-uid", "no-back", "under"}
    assert any(case["problems"] == [] for case in TABLE)
    assert any(case["settings"] is None for case in TABLE)
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("case", TABLE, ids=NAMES)
def test_python_check(case: dict[str, Any]) -> None:
    assert python_codes(case) == case["problems"]


@pytest.fixture(scope="module")
def studio_answers(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    node = require_node()
    typescript = require_npm_package("typescript")
    out = tmp_path_factory.mktemp("studio-js")
    runner = out / "run.js"
    runner.write_text(RUNNER)
    ran = subprocess.run(
        [node, str(runner), str(typescript), str(STUDIO), str(out), str(CASES_FILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    answers: list[Any] = json.loads(ran.stdout)
    assert len(answers) == len(TABLE)
    return answers


@pytest.mark.parametrize("index", range(len(TABLE)), ids=NAMES)
def test_studio_rule(studio_answers: list[Any], index: int) -> None:
    assert javascript_codes(studio_answers[index]) == TABLE[index]["problems"]


MARKETS = [
    {"code": "EU", "title": "Europe", "currency": "EUR"},
    {"code": "UK", "title": "United Kingdom", "currency": "GBP"},
    {"code": "US", "title": "United States", "currency": "USD"},
]
VARIANT = {"_key": "v", "size": "M", "colour": "Black", "productUid": "x"}
#: A product's markets without a price: (product, the codes of the markets it is not sold in).
MARKET_CASES = [
    ({"_id": "a", "currency": "EUR", "basePrice": 2900, "variants": [VARIANT]}, ["UK", "US"]),
    (
        {
            "_id": "b",
            "currency": "EUR",
            "basePrice": 2900,
            "prices": [{"market": "UK", "basePrice": 2500}, {"market": "US", "basePrice": 3200}],
            "variants": [VARIANT],
        },
        [],
    ),
    (
        {
            "_id": "c",
            "currency": "GBP",
            "basePrice": 2500,
            "prices": [{"market": "US", "basePrice": 0}],
            "variants": [VARIANT],
        },
        ["EU", "US"],
    ),
]


@pytest.mark.parametrize(("product", "missing"), MARKET_CASES)
def test_python_warns_of_markets_without_a_price(
    product: dict[str, Any], missing: list[str]
) -> None:
    gaps = market_gaps(product, MARKETS)
    assert [re.search(r"market (\w+)$", g.message)[1] for g in gaps] == missing  # type: ignore[index]


def test_studio_warns_of_markets_without_a_price(tmp_path: Path) -> None:
    """The generated Studio rule (level ``warning``) names the same markets."""
    node = require_node()
    typescript = require_npm_package("typescript")
    cases = tmp_path / "cases.json"
    cases.write_text(
        json.dumps({"cases": [{"product": p, "markets": MARKETS} for p, _ in MARKET_CASES]})
    )
    runner = tmp_path / "run.js"
    runner.write_text(RUNNER)
    out = tmp_path / "js"
    ran = subprocess.run(
        [node, str(runner), str(typescript), str(STUDIO), str(out), str(cases), "warnings"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    answers = json.loads(ran.stdout)
    for answer, (_, missing) in zip(answers, MARKET_CASES, strict=True):
        found = [] if answer is True else re.findall(r"no price for market (\w+)\.", answer)
        assert found == missing
