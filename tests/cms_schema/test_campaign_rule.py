"""The campaign rule (refuse changes after sending; audience, send time) from one table of
cases (``cms_schema/campaign_cases.json``), run against ``cms_schema.campaigns`` and against
the Studio's generated document validation on ``newsletterCampaign`` (transpiled with the
``typescript`` package, ``sanity`` stubbed, run under Node), fingerprints included."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cms_schema.campaigns import CASES, campaign_problems, fingerprint
from cms_schema.studio_gen import STUDIO
from tests.support.material import require_node, require_npm_package

TABLE: list[dict[str, Any]] = json.loads(CASES.read_text())["cases"]
NAMES = [case["name"] for case in TABLE]

RUNNER = r"""
const fs = require('fs'), path = require('path')
const [tsPath, studio, out, casesPath] = process.argv.slice(1)
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
fs.writeFileSync(path.join(stub, 'index.js'), 'const same = (x) => x\n' +
  'module.exports = {defineType: same, defineField: same, defineArrayMember: same}\n')
const {newsletterCampaign} = require(path.join(out, 'schemaTypes', 'newsletterCampaign.js'))
const {fingerprint} = require(path.join(out, 'campaigns.js'))
let custom = null
const rule = {custom(fn) { custom = fn; return rule }}
newsletterCampaign.validation(rule)
if (!custom) throw new Error('newsletterCampaign.ts has no document-level custom rule')
const {cases} = JSON.parse(fs.readFileSync(casesPath, 'utf8'))
console.log(JSON.stringify(cases.map((c) => [custom(c.doc), fingerprint(c.doc)])))
"""


def test_the_table_covers_the_lock() -> None:
    locked = [c for c in TABLE if c["problems"] and "duplicate the campaign" in c["problems"][0]]
    unlocked_sent = [
        c
        for c in TABLE
        if (c["doc"].get("delivery") or {}).get("state") == "sent" and not c["problems"]
    ]
    assert locked and unlocked_sent
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("case", TABLE, ids=NAMES)
def test_python_rule(case: dict[str, Any]) -> None:
    assert campaign_problems(case["doc"]) == case["problems"]


@pytest.fixture(scope="module")
def studio_answers(tmp_path_factory: pytest.TempPathFactory) -> list[list[Any]]:
    node = require_node()
    typescript = require_npm_package("typescript")
    out = tmp_path_factory.mktemp("campaign-rule")
    ran = subprocess.run(
        [node, "-e", RUNNER, str(typescript), str(STUDIO), str(out), str(Path(CASES).resolve())],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    answers: list[list[Any]] = json.loads(ran.stdout)
    assert len(answers) == len(TABLE)
    return answers


@pytest.mark.parametrize("index", range(len(TABLE)), ids=NAMES)
def test_studio_rule(studio_answers: list[list[Any]], index: int) -> None:
    case = TABLE[index]
    answer, studio_fingerprint = studio_answers[index]
    assert answer == (" ".join(case["problems"]) if case["problems"] else True)
    assert studio_fingerprint == fingerprint(case["doc"])
