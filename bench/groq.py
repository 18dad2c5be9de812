"""The shop's own GROQ queries on a 10,000-document catalog: with and without the indexes,
and against the official groq-js evaluator when Node is on the machine.

    .venv/bin/python bench/groq.py [--docs 10000] [--repeat 20]

groq-js is installed from npm into a throwaway folder (never into the repository).
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.catalog import queries as q  # noqa: E402
from storefront.content.groq import Dataset, evaluate, parse  # noqa: E402

SIZES = ["S", "M", "L", "XL", "2XL"]
COLOURS = ["Black", "White", "Navy", "Natural", "Forest Green"]


def catalog(n_docs: int) -> list[dict]:
    rng = random.Random(7)
    docs: list[dict] = []
    categories = [
        {
            "_id": f"category-{i}",
            "_type": "category",
            "title": f"Collection {i}",
            "slug": {"current": f"collection-{i}"},
            "order": i,
        }
        for i in range(10)
    ]
    docs += categories
    n_products = (n_docs - 10) // 3
    for i in range(n_products):
        design_id, product_id = f"design-{i}", f"product-{i}"
        words = rng.sample(
            [
                "compost",
                "planet",
                "skull",
                "worm",
                "glacier",
                "doom",
                "soil",
                "ghost",
                "plastic",
                "fine",
                "forever",
                "tomato",
            ],
            3,
        )
        docs.append(
            {
                "_id": design_id,
                "_type": "design",
                "title": " ".join(words).title(),
                "slug": {"current": f"design-{i}"},
                "artworkFront": {"asset": {"_ref": f"image-{i:040x}-600x600-png"}},
                "story": [
                    {
                        "_type": "block",
                        "children": [{"_type": "span", "text": f"The story of {' '.join(words)}."}],
                    }
                ],
            }
        )
        colours = rng.sample(COLOURS, 3)
        docs.append(
            {
                "_id": product_id,
                "_type": "product",
                "title": " ".join(words).title() + " Tee",
                "slug": {"current": f"product-{i}"},
                "published": True,
                "featured": rng.random() < 0.05,
                "_createdAt": f"2026-01-{1 + i % 28:02d}T00:00:00Z",
                "design": {"_type": "reference", "_ref": design_id},
                "categories": [{"_type": "reference", "_ref": f"category-{i % 10}", "_key": "c"}],
                "description": f"A tee about {' and '.join(words)}.",
                "currency": "EUR",
                "basePrice": 2500 + 100 * (i % 12),
                "sizes": SIZES,
                "colours": [{"name": c, "hex": "#000"} for c in colours],
                "sizeSurcharges": [{"size": "2XL", "amount": 300}],
                "variants": [
                    {"_key": f"{c}-{s}", "size": s, "colour": c, "productUid": f"uid-{i}-{c}-{s}"}
                    for c in colours
                    for s in SIZES
                ],
            }
        )
        docs.append(
            {
                "_id": f"inventory-uid-{i}",
                "_type": "inventory",
                "productUid": f"uid-{i}-{colours[0]}-M",
                "available": i % 7 != 0,
            }
        )
    return sorted(docs, key=lambda d: d["_id"])


def shop_queries(n_products: int) -> dict[str, tuple[str, dict]]:
    mid = n_products // 2
    listing_params = {
        "category": "category-3",
        "colour": None,
        "size": None,
        "minPrice": None,
        "maxPrice": None,
        "start": 0,
        "end": 12,
    }
    return {
        "product page": (q.PRODUCT_BY_SLUG, {"slug": f"product-{mid}"}),
        "category listing": (q.listing_query("price-asc"), listing_params),
        "search": (q.SEARCH, {"q": "glacier* doom*"}),
        "featured": (q.FEATURED, {}),
        "inventory for a page": (q.INVENTORY_FOR, {"uids": [f"uid-{mid}-{c}-M" for c in COLOURS]}),
        "site settings": (q.SITE_SETTINGS, {}),
    }


def time_ours(text: str, params: dict, dataset: Dataset, repeat: int) -> float:
    query = parse(text)
    evaluate(query, dataset, params)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate(query, dataset, params)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


NODE_SCRIPT = r"""
const fs = require('fs');
const {parse, evaluate} = require('groq-js');
const [docsFile, queriesFile, repeat] = process.argv.slice(2);
const docs = JSON.parse(fs.readFileSync(docsFile));
const queries = JSON.parse(fs.readFileSync(queriesFile));
(async () => {
  const out = {};
  for (const [name, [text, params]] of Object.entries(queries)) {
    const tree = parse(text, {params});
    await (await evaluate(tree, {dataset: docs, params})).get();
    const runs = [];
    for (let i = 0; i < Number(repeat); i++) {
      const t = process.hrtime.bigint();
      await (await evaluate(tree, {dataset: docs, params})).get();
      runs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    runs.sort((a, b) => a - b);
    out[name] = runs[Math.floor(runs.length / 2)];
  }
  console.log(JSON.stringify(out));
})();
"""


def time_groq_js(docs: list[dict], queries: dict, repeat: int) -> dict[str, float] | str:
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm not on this machine"
    folder = Path(tempfile.mkdtemp(prefix="groq-js-bench-"))
    try:
        install = subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(folder), "groq-js"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if install.returncode != 0:
            return f"npm install groq-js failed: {install.stderr.strip()[:200]}"
        (folder / "docs.json").write_text(json.dumps(docs))
        (folder / "queries.json").write_text(json.dumps(queries))
        (folder / "bench.js").write_text(NODE_SCRIPT)
        run = subprocess.run(
            ["node", "bench.js", "docs.json", "queries.json", str(repeat)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if run.returncode != 0:
            return f"groq-js run failed: {run.stderr.strip()[:300]}"
        return json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    docs = catalog(args.docs)
    indexed, plain = Dataset(docs), Dataset(docs, indexed_paths=())
    queries = shop_queries((args.docs - 10) // 3)
    js = time_groq_js(docs, queries, args.repeat)
    print(f"{len(docs)} documents; median of {args.repeat} runs per query (ms)")
    print(
        f"{'query':<22}{'indexed':>9}{'no index':>10}{'speed-up':>10}{'groq-js':>10}"
        f"{'ours/groq-js':>14}"
    )
    for name, (text, params) in queries.items():
        fast = time_ours(text, params, indexed, args.repeat)
        slow = time_ours(text, params, plain, max(3, args.repeat // 4))
        js_ms = js.get(name) if isinstance(js, dict) else None
        ratio = f"{js_ms / max(fast, 1e-6):10.1f}x faster" if js_ms else f"{'-':>17}"
        js_text = f"{js_ms:10.2f}" if js_ms else f"{'-':>10}"
        print(f"{name:<22}{fast:9.2f}{slow:10.2f}{slow / max(fast, 1e-6):10.1f}x{js_text}{ratio}")
    if not isinstance(js, dict):
        print(f"groq-js comparison skipped: {js}")


if __name__ == "__main__":
    main()
