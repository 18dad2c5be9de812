"""The shop's typical GROQ queries on a 10,000-document catalog: our engine with and
without indexes, and the reference groq-js evaluator when Node and npm are on the machine.

    .venv/bin/python bench/groq.py [--docs 10000] [--repeat 20] [--no-js]

groq-js is installed from npm into a throwaway temporary folder, never into the repository.
Every figure is a median in milliseconds; ratios are measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contentlake.groq import Dataset, evaluate, parse  # noqa: E402

SIZES = ["S", "M", "L", "XL"]
COLOURS = ["Black", "Bone", "Forest", "Navy", "Rust"]
WORDS = [
    "compost", "planet", "skull", "worm", "glacier", "doom", "soil", "ghost",
    "plastic", "fine", "forever", "tomato", "moth", "ember", "tide", "void",
]  # fmt: skip

# The shop's queries, in one place for now (the catalog package has its own copies).
PRODUCT_PAGE = """
*[_type == "product" && slug.current == $slug][0]{
  _id, title, "slug": slug.current, description, basePrice, currency,
  "design": design->{title, "slug": slug.current, "story": pt::text(story), artwork},
  "categories": categories[]->{title, "slug": slug.current},
  "variants": variants[]{size, colour, productUid, priceCents},
  "colours": array::unique(variants[].colour),
  featured == true => {"badge": "Bestseller"}
}"""
CATEGORY_LISTING = """
*[_type == "product" && references($cat) && published == true]
  | order(basePrice asc, title asc) [0...24]{
  _id, title, "slug": slug.current, basePrice,
  "image": design->artwork.asset._ref,
  "from": math::min(variants[].priceCents)
}"""
SEARCH = """
*[_type == "product" && (title match $q || description match $q)]
  | score(title match $q, boost(description match $q, 0.5))
  [0...20]{_id, title, "slug": slug.current, _score}"""
CATEGORY_COUNT = """count(*[_type == "product" && references($cat)])"""
INVENTORY = """*[_type == "inventory" && productUid in $uids]{productUid, available, stock}"""


def catalog(n_docs: int) -> list[dict[str, Any]]:
    """Deterministic catalog: 10 categories, 10 pages, then per product a design, the
    product (4 sizes x 2 colours = 8 variants) and one inventory document per variant."""
    rng = random.Random(7)
    docs: list[dict[str, Any]] = []
    for i in range(10):
        docs.append(
            {
                "_id": f"category-{i}",
                "_type": "category",
                "title": f"Collection {i}",
                "slug": {"current": f"collection-{i}"},
            }
        )
        docs.append(
            {
                "_id": f"page-{i}",
                "_type": "page",
                "title": f"Page {i}",
                "slug": {"current": f"page-{i}"},
                "body": [{"_type": "block", "children": [{"_type": "span", "text": "Hi."}]}],
            }
        )
    for i in range((n_docs - 20) // 10):
        words = rng.sample(WORDS, 3)
        design_id, product_id = f"design-{i}", f"product-{i}"
        docs.append(
            {
                "_id": design_id,
                "_type": "design",
                "title": " ".join(words).title(),
                "slug": {"current": f"design-{i}"},
                "artwork": {"asset": {"_ref": f"image-{i:040x}-600x600-png"}},
                "story": [
                    {
                        "_type": "block",
                        "children": [{"_type": "span", "text": f"The story of {' '.join(words)}."}],
                    }
                ],
            }
        )
        colours = rng.sample(COLOURS, 2)
        base = 2500 + 100 * (i % 12)
        variants = [
            {
                "_key": f"{c}-{s}",
                "size": s,
                "colour": c,
                "productUid": f"uid-{i}-{c}-{s}",
                "priceCents": base + (300 if s == "XL" else 0),
            }
            for c in colours
            for s in SIZES
        ]
        docs.append(
            {
                "_id": product_id,
                "_type": "product",
                "title": " ".join(words).title() + " Tee",
                "slug": {"current": f"product-{i}"},
                "published": i % 20 != 0,
                "featured": i % 17 == 0,
                "design": {"_type": "reference", "_ref": design_id},
                "categories": [
                    {"_type": "reference", "_ref": f"category-{i % 10}", "_key": "a"},
                    {"_type": "reference", "_ref": f"category-{(i * 7) % 10}", "_key": "b"},
                ],
                "description": f"A tee about {' and '.join(words)}.",
                "currency": "EUR",
                "basePrice": base,
                "variants": variants,
            }
        )
        docs.extend(
            {
                "_id": f"inventory-{v['productUid']}",
                "_type": "inventory",
                "productUid": v["productUid"],
                "available": (i + n) % 9 != 0,
                "stock": (i * 31 + n) % 50,
            }
            for n, v in enumerate(variants)
        )
    return sorted(docs, key=lambda d: d["_id"])


def shop_queries(n_products: int) -> dict[str, tuple[str, dict[str, Any]]]:
    mid = n_products // 2
    return {
        "product page": (PRODUCT_PAGE, {"slug": f"product-{mid}"}),
        "category listing": (CATEGORY_LISTING, {"cat": "category-3"}),
        "search": (SEARCH, {"q": "glacier* doom"}),
        "category count": (CATEGORY_COUNT, {"cat": "category-3"}),
        "inventory by uids": (
            INVENTORY,
            {"uids": [f"uid-{mid}-{c}-{s}" for c in COLOURS for s in SIZES]},
        ),
    }


def time_ours(text: str, params: dict[str, Any], dataset: Dataset, repeat: int) -> float:
    query = parse(text)
    evaluate(query, dataset, params)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate(query, dataset, params)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


NPM_INSTALL = ["npm", "install", "--silent", "--no-audit", "--no-fund"]
NODE_SCRIPT = r"""
const fs = require('fs');
const {parse, evaluate} = require('groq-js');
const [docsFile, queriesFile, repeat] = process.argv.slice(2);
const docs = JSON.parse(fs.readFileSync(docsFile));
const queries = JSON.parse(fs.readFileSync(queriesFile));
(async () => {
  const out = {};
  const results = {};
  for (const [name, [text, params]] of Object.entries(queries)) {
    const tree = parse(text, {params});
    results[name] = await (await evaluate(tree, {dataset: docs, params})).get();
    const runs = [];
    for (let i = 0; i < Number(repeat); i++) {
      const t = process.hrtime.bigint();
      await (await evaluate(tree, {dataset: docs, params})).get();
      runs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    runs.sort((a, b) => a - b);
    out[name] = runs[Math.floor(runs.length / 2)];
  }
  console.log(JSON.stringify({timings: out, results}));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def time_groq_js(docs: list[dict[str, Any]], queries: dict[str, Any], repeat: int) -> Any:
    """groq-js's version, median ms and result per query, or a string saying why not."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm not on this machine"
    folder = Path(tempfile.mkdtemp(prefix="groq-js-bench-"))
    try:
        install = subprocess.run(
            [*NPM_INSTALL, "--prefix", str(folder), "groq-js"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if install.returncode != 0:
            return f"npm install groq-js failed: {install.stderr.strip()[:300]}"
        version = json.loads((folder / "node_modules/groq-js/package.json").read_text())["version"]
        (folder / "docs.json").write_text(json.dumps(docs))
        (folder / "queries.json").write_text(json.dumps(queries))
        (folder / "bench.js").write_text(NODE_SCRIPT)
        run = subprocess.run(
            ["node", "bench.js", "docs.json", "queries.json", str(repeat)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if run.returncode != 0:
            return f"groq-js run failed: {run.stderr.strip()[:300]}"
        output = json.loads(run.stdout.strip().splitlines()[-1])
        return {"version": version, **output}
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        return f"groq-js comparison failed: {exc}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-js", action="store_true", help="skip the groq-js comparison")
    args = parser.parse_args()
    docs = catalog(args.docs)
    indexed, plain = Dataset(docs), Dataset(docs, indexed_paths=())
    queries = shop_queries((args.docs - 20) // 10)
    for name, (text, params) in queries.items():  # both legs must agree before we time them
        if evaluate(text, indexed, params) != evaluate(text, plain, params):
            raise SystemExit(f"{name}: indexed and full-scan results differ")
    js = "skipped (--no-js)" if args.no_js else time_groq_js(docs, queries, args.repeat)
    print(f"{len(docs)} documents; median of {args.repeat} runs per query, in ms")
    head = f"{'query':<20}{'indexed':>9}{'no index':>10}{'no idx/idx':>12}"
    print(head + f"{'groq-js':>10}{'ours/groq-js':>14}{'same result':>13}")
    for name, (text, params) in queries.items():
        fast = time_ours(text, params, indexed, args.repeat)
        slow = time_ours(text, params, plain, max(3, args.repeat // 4))
        line = f"{name:<20}{fast:9.3f}{slow:10.3f}{slow / max(fast, 1e-9):11.1f}x"
        if isinstance(js, dict):
            js_ms = js["timings"][name]
            same = json.loads(json.dumps(evaluate(text, indexed, params))) == js["results"][name]
            line += f"{js_ms:10.3f}{fast / js_ms:13.3g}x{'yes' if same else 'NO':>13}"
        print(line)
    if isinstance(js, dict):
        print(f"groq-js {js['version']} on node, same documents and parameters")
    else:
        print(f"groq-js comparison: {js}")


if __name__ == "__main__":
    main()
