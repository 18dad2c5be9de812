"""Run the official GROQ conformance suite the way its reference runner (groq-js) does.

    python -m contentlake.groq.conformance [--suite PATH] [--folder NAME] [-v]

Inline datasets are sorted by ``_id``; tests needing features we don't implement, tests for
other GROQ versions and ``perf/`` are skipped (and counted as skipped); ``valid: false``
tests must fail to parse; results are compared leniently like tap's ``match``, with
``_score`` replaced by its rank ``_pos``.

A runaway query (an engine bug that makes one explode) cannot stall the run: each test may
take at most :data:`STEP_BUDGET` evaluation steps, then it fails. The budget is counted in
steps, not seconds, so the result is the same on a fast machine and on a busy one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import Dataset, GroqError, GroqStepLimitError, evaluate, parse

IMPLEMENTED_FEATURES = frozenset(
    {"portableText", "customFunctions", "contentReleases", "internalDocuments"}
)
OUR_VERSION = (1, 2, 0)
DEFAULT_SUITE = Path(__file__).resolve().parents[2].parent / "shared/contracts/groq/suite.ndjson"
#: Evaluation steps one test may take (documents and elements visited). The heaviest test of
#: the suite takes about 49,000 (nested filters over literal arrays); 20x that is plenty.
STEP_BUDGET = 1_000_000


@dataclass
class Folder:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed


def version_ok(spec: str | None) -> bool:
    if not spec:
        return True
    spec = spec.strip()
    for op in (">=", ">", "<=", "<", "="):
        if spec.startswith(op):
            wanted = tuple(int(x) for x in spec[len(op) :].strip().split("."))
            wanted = (*wanted, 0, 0, 0)[:3]
            return {
                ">=": wanted <= OUR_VERSION,
                ">": wanted < OUR_VERSION,
                "<=": wanted >= OUR_VERSION,
                "<": wanted > OUR_VERSION,
                "=": wanted == OUR_VERSION,
            }[op]
    parts = tuple(int(x) for x in spec.split(".") if x.isdigit())
    return OUR_VERSION[: len(parts)] == parts


def ranked(value: Any) -> Any:
    """Replace every ``_score`` by ``_pos``, its rank among all distinct scores in the result
    (1 = highest), as the reference runner does; scores themselves are not portable."""
    entries: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        cur = stack.pop()
        if isinstance(cur, list):
            stack.extend(cur)
        elif isinstance(cur, dict):
            score = cur.get("_score")
            if isinstance(score, int | float) and not isinstance(score, bool):
                entries.append(cur)
            stack.extend(cur.values())
    scores = sorted({e["_score"] for e in entries}, reverse=True)
    for entry in entries:
        entry["_pos"] = scores.index(entry.pop("_score")) + 1
    return value


def matches(found: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        if not isinstance(found, dict):
            return False
        return all(matches(found.get(k), v) for k, v in expected.items())
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(found) == len(expected)
            and all(matches(f, e) for f, e in zip(found, expected, strict=True))
        )
    if isinstance(expected, bool) or isinstance(found, bool):
        return found is expected
    if isinstance(expected, int | float) and isinstance(found, int | float):
        return found == expected or abs(found - expected) <= 1e-9 * max(1.0, abs(expected))
    same: bool = found == expected
    return same


def load(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    datasets: dict[str, Any] = {}
    tests: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            if entry.get("_type") == "dataset":
                datasets[entry["_id"]] = entry
            elif entry.get("_type") == "test":
                tests.append(entry)
    return datasets, tests


def run(path: Path, *, folder: str | None = None, verbose: bool = False) -> dict[str, Folder]:
    datasets, tests = load(path)
    built: dict[str, Dataset | None] = {}
    results: dict[str, Folder] = {}
    for test in tests:
        filename = test.get("filename") or ""
        top = filename.split("/")[0] if "/" in filename else filename
        if folder and top != folder:
            continue
        bucket = results.setdefault(top, Folder())
        features = set(test.get("features") or [])
        ref = (test.get("dataset") or {}).get("_ref")
        if top == "perf" or features - IMPLEMENTED_FEATURES or not version_ok(test.get("version")):
            bucket.skipped += 1
            continue
        if ref and ref not in built:
            entry = datasets.get(ref)
            docs = entry.get("documents") if entry else None
            built[ref] = (
                Dataset(sorted(docs, key=lambda d: d.get("_id", ""))) if docs is not None else None
            )
        dataset = built.get(ref) if ref else Dataset(())
        if ref and dataset is None:
            bucket.skipped += 1  # an external dataset (movies) we never download
            continue
        if _one(test, dataset):
            bucket.passed += 1
        else:
            bucket.failed += 1
            if verbose:
                bucket.failures.append(f"{test.get('name')}: {test.get('query')}")
    return results


def _one(test: dict[str, Any], dataset: Any) -> bool:
    query, valid = test.get("query") or "", test.get("valid", True)
    params = test.get("params") or {}
    try:
        if not valid:
            try:
                evaluate(parse(query), dataset, params, max_steps=STEP_BUDGET)
            except GroqStepLimitError:
                return False  # ran away instead of rejecting the query
            except GroqError:
                return True  # parse-time or (undefined $param) evaluation-time rejection
            return False
        result = evaluate(query, dataset, params, max_steps=STEP_BUDGET)
        found = ranked(json.loads(json.dumps(result)))
        return matches(found, test.get("result"))
    except (GroqError, RecursionError):
        return False
    except Exception:  # a bug of ours: a failure, not a crash of the runner
        return False


def summary(results: dict[str, Folder]) -> Iterator[str]:
    total = Folder()
    for name in sorted(results):
        f = results[name]
        total.passed += f.passed
        total.failed += f.failed
        total.skipped += f.skipped
        yield _line(name, f)
    yield _line("TOTAL", total)


def _line(name: str, f: Folder) -> str:
    return (
        f"{name:<12} {f.passed:>5}/{f.total:<5} passed  {f.failed:>4} failed  "
        f"{f.skipped:>4} skipped"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE)
    parser.add_argument("--folder")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not args.suite.is_file():
        parser.error(f"no conformance suite at {args.suite}; pass --suite PATH")
    started = time.perf_counter()
    results = run(args.suite, folder=args.folder, verbose=args.verbose)
    for line in summary(results):
        print(line)
    if args.verbose:
        for name, f in sorted(results.items()):
            for failure in f.failures:
                print(f"FAIL {name}: {failure}")
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
