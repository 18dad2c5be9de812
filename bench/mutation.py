"""Mutation testing of the modules where a silent bug costs money or trust: change one thing
in the code at a time (mutmut 3) and see whether a test notices.

    .venv/bin/python bench/mutation.py [--module PATH ...] [--max-children 2] [--survivors]
                                       [--fresh | --retest | --report]

The run works in ``var/mutation/`` (copies of the packages, the templates and the tests, plus
a link to ``../shared`` for the contract material), so the checkout itself is never touched;
mutmut keeps its results there and re-runs only what changed; ``--retest`` re-runs the
survivors after tests were added. The PostgreSQL, browser and
slow legs are left out: they test the same functions more slowly.

Each module runs on its own (``var/mutation/<module>/``) with the tests listed for it, so a
mutant runs only the tests that call the changed function among those. Prints, per module,
mutants killed / survived (timeouts count as killed: the change made a test hang) with the
killed ratio, and the surviving mutants the project accepts as equivalent (:data:`EQUIVALENT`,
each with the reason no test can tell it from the original). The goal is 90% killed per
module, equivalents counted as killed. Survivors do not fail the run: it exits non-zero only
when mutmut could not run (the tests fail on the unmutated code, a module is missing).

Too slow for every CI run (about an hour on two busy cores); not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutation"

#: The modules under test: what a surviving bug there would cost, and the tests that
#: exercise them (mutmut narrows these to the tests that call each mutated function).
MODULES: dict[str, tuple[str, list[str]]] = {
    "storefront/orders/states.py": (
        "an order skips a state or loses its audit trail",
        [
            "tests/orders/test_states.py",
            "tests/checkout/test_payment_outcomes.py",
            "tests/fulfillment_flow/test_status_back.py",
        ],
    ),
    "storefront/orders/workflows.py": (
        "paid, failed, cancelled or refunded without its follow-up",
        [
            "tests/orders/test_workflows.py",
            "tests/checkout/test_payment_outcomes.py",
            "tests/checkout/test_admin_actions.py",
            "tests/fulfillment_flow/test_cancel.py",
        ],
    ),
    "storefront/payments/confirmation.py": (
        "a payment confirmed twice, never, or for a wrong sum",
        [
            "tests/payments/test_confirmation.py",
            "tests/checkout/test_payment_outcomes.py",
            "tests/checkout/test_payment_jobs.py",
            "tests/checkout/test_pay_with_emulators.py",
        ],
    ),
    "storefront/gateways/signatures.py": (
        "a forged Stripe or PayPal webhook accepted",
        [
            "tests/payments/test_signatures.py",
            "tests/payments/test_paypal_gateway.py",
            "tests/payments/test_stripe_gateway.py",
        ],
    ),
    "storefront/sanity/signatures.py": (
        "a forged publish webhook accepted",
        ["tests/content/test_signatures.py", "tests/content/test_publish_webhook.py"],
    ),
    "storefront/inbox/services.py": (
        "one webhook acted on twice",
        [
            "tests/orders/test_inbox.py",
            "tests/orders/test_outbox_and_webhooks.py",
            "tests/content/test_publish_webhook.py",
        ],
    ),
    "storefront/stock/services.py": (
        "a limited edition oversold",
        [
            "tests/checkout/test_stock_rules.py",
            "tests/checkout/test_place_order.py",
            "tests/catalog/test_stockview.py",
            "tests/checkout/test_payment_outcomes.py",
        ],
    ),
    "storefront/fulfillment/push.py": (
        "an order printed twice or never",
        [
            "tests/fulfillment_flow/test_push_rules.py",
            "tests/fulfillment_flow/test_push_once.py",
            "tests/fulfillment_flow/test_job_outcomes.py",
            "tests/fulfillment_flow/test_concurrent_writer.py",
        ],
    ),
    "storefront/fulfillment/tracking.py": (
        "a shopper never told, or told wrongly",
        [
            "tests/fulfillment_flow/test_tracking_rules.py",
            "tests/fulfillment_flow/test_status_back.py",
            "tests/fulfillment_flow/test_printed_in.py",
            "tests/fulfillment/test_gelato_webhooks.py",
            "tests/fulfillment_flow/test_concurrent_writer.py",
            "tests/orders/test_order_words.py",
        ],
    ),
    "cms_schema/pricing.py": ("a shirt sold at a wrong price", ["tests/cms_schema"]),
    "storefront/newsletter/sync.py": (
        "a leaver re-subscribed, or a subscriber lost",
        ["tests/newsletter_sync", "tests/newsletter", "tests/sync/test_outcomes.py"],
    ),
    "storefront/web/auth.py": (
        "a page or API open to the wrong person",
        [
            "tests/accounts/test_access_walk.py",
            "tests/accounts/test_roles.py",
            "tests/accounts/test_accounts.py",
            "tests/accounts/test_two_factor.py",
            "tests/orders/test_order_page.py",
            "tests/foundation/test_security.py",
            "tests/api/test_tokens_service.py",
            "tests/test_metrics.py",
        ],
    ),
    "storefront/accounts/roles.py": (
        "a role ranked wrongly",
        ["tests/accounts/test_roles.py", "tests/accounts/test_access_walk.py"],
    ),
}

#: Surviving mutants no test can tell from the original, by mutmut's name, with the reason.
_CODEC = "codec names are case-insensitive: 'ASCII' is 'ascii', 'UTF-8' is 'utf-8'"
_ROWID = (
    "ORDER BY parcels.id dropped: the run uses SQLite, which reads a parcel list through the "
    "order_id index in rowid (= id) order, so no test on it can see the difference; on "
    "PostgreSQL the order is not guaranteed without it"
)
EQUIVALENT: dict[str, str] = {
    "storefront.sanity.signatures.x__secret_bytes__mutmut_5": _CODEC,
    "storefront.sanity.signatures.x_compute__mutmut_16": _CODEC,
    "storefront.sanity.signatures.x_verify__mutmut_30": _CODEC,
    "storefront.sanity.signatures.x_verify__mutmut_36": _CODEC,
    "storefront.sanity.signatures.x_compute__mutmut_14": (
        "rstrip(b'XX=XX') strips 'X' too, but a 32-byte MAC in base64url ends in one of "
        "AEIMQUYcgkosw048 (its last 4 bits are zero), never 'X'"
    ),
    "storefront.sanity.signatures.x_parse_header__mutmut_4": (
        "a missing header becomes 'XXXX' instead of '': neither matches t=<ms>,v1=<sig>, "
        "the same SignatureFormatError follows"
    ),
    "storefront.fulfillment.tracking.x_delivery_of__mutmut_8": _ROWID,
    "storefront.fulfillment.tracking.x_parcels_by_order__mutmut_4": _ROWID,
    "storefront.payments.confirmation.x_confirm_paid__mutmut_26": (
        "a payment without a currency compares as 'XXXX' instead of '': an order's currency "
        "is a three-letter ISO 4217 code (String(3)), neither matches, the payment is parked "
        "as doubtful either way"
    ),
}

#: What is copied into the work folder (the packages mutmut copies again into mutants/).
SOURCES = ["storefront", "cms_schema", "sync", "emulators", "contentlake", "devstack"]
ALSO = ["templates"]

KILLED = {1, 3, 36, 24, -24, 152, 255}  # a failing test, or a test that hung (timeout)


def workdir(module: str) -> Path:
    return WORK / module.removesuffix(".py").replace("/", ".")


def prepare(work: Path, fresh: bool) -> None:
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in [*SOURCES, *ALSO, "tests"]:
        target = work / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / name, target, ignore=ignore)
        # mutmut re-copies a source into mutants/ only when it is missing there: refresh it.
        mutated = work / "mutants" / name
        if mutated.exists() and name not in ("tests", *ALSO):
            for path in (ROOT / name).rglob("*.py"):
                relative = path.relative_to(ROOT)
                copy = work / "mutants" / relative
                if copy.exists() and str(relative) not in MODULES:
                    shutil.copy2(path, copy)
    shared = ROOT.parent / "shared"
    link = work / "shared"
    if shared.exists() and not link.exists():
        link.symlink_to(shared)  # tests find ../shared/contracts beside their repository


def configure(work: Path, module: str) -> None:
    config = {
        "source_paths": SOURCES,
        "only_mutate": [module],
        "also_copy": ALSO,
        "pytest_add_cli_args": [
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-m",
            "not postgres and not browser and not slow",
            "-W",
            "ignore::DeprecationWarning",
        ],
        "pytest_add_cli_args_test_selection": [
            t for t in MODULES[module][1] if (ROOT / t).exists()
        ],
        "timeout_multiplier": 10.0,
        "timeout_constant": 30.0,
    }
    lines = [(ROOT / "pyproject.toml").read_text(), "\n[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")


def run(work: Path, max_children: int, names: list[str] | None = None) -> int:
    """``mutmut run``; with ``names``, re-test just those mutants (mutmut keeps every other
    verdict), after forgetting which tests cover what, so new tests are counted."""
    command = [str(Path(sys.executable).with_name("mutmut")), "run"]
    command += ["--max-children", str(max_children), *(names or [])]
    if names:
        (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    return subprocess.run(command, cwd=work, check=False).returncode


def results(modules: list[str]) -> dict[str, Counter[str]]:
    """Per module: killed, survived, equivalent, untested, other (from mutmut's .meta)."""
    table: dict[str, Counter[str]] = {}
    for module in modules:
        meta = workdir(module) / "mutants" / f"{module}.meta"
        counts: Counter[str] = Counter()
        if meta.exists():
            codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
            for name, code in codes.items():
                if code in KILLED:
                    counts["killed"] += 1
                elif code == 0 and name in EQUIVALENT:
                    counts["equivalent"] += 1
                elif code == 0:
                    counts["survived"] += 1
                elif code in (5, 33):
                    counts["untested"] += 1
                else:
                    counts["other"] += 1
        table[module] = counts
    return table


def survivors(module: str, *, untested: bool = False) -> list[str]:
    """Surviving mutants not listed as equivalent (and, with ``untested``, those no test
    reached), by name."""
    meta = workdir(module) / "mutants" / f"{module}.meta"
    if not meta.exists():
        return []
    codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
    wanted = {0, 5, 33} if untested else {0}
    return sorted(n for n, c in codes.items() if c in wanted and n not in EQUIVALENT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=sorted(MODULES))
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument(
        "--retest", action="store_true", help="re-test only the survivors (after new tests)"
    )
    args = parser.parse_args()
    modules = args.module or list(MODULES)
    if not args.report:
        for module in modules:
            work = workdir(module)
            print(f"mutation: {module} ({MODULES[module][0]})", flush=True)
            names = survivors(module, untested=True) if args.retest else None
            if args.retest and not names:
                continue
            prepare(work, args.fresh)
            configure(work, module)
            code = run(work, args.max_children, names)
            if code != 0:
                print(f"mutation: mutmut could not run on {module} (exit {code})", file=sys.stderr)
                return 2
    table = results(modules)
    if not any(table.values()):
        print("mutation: no results (run without --report first)", file=sys.stderr)
        return 2
    width = max(len(m) for m in modules)
    print(
        f"\n{'module':<{width}}  mutants  killed  equiv.  survived  untested  killed %  (goal 90%)"
    )
    for module in modules:
        c = table[module]
        total = sum(c.values())
        score = (c["killed"] + c["equivalent"]) / total * 100 if total else 0.0
        mark = "" if score >= 90 else "  below goal"
        print(
            f"{module:<{width}}  {total:7}  {c['killed']:6}  {c['equivalent']:6}  "
            f"{c['survived']:8}  {c['untested']:8}  {score:7.1f}%{mark}"
        )
    all_total = sum(sum(c.values()) for c in table.values())
    all_killed = sum(c["killed"] + c["equivalent"] for c in table.values())
    if all_total:
        print(f"{'all':<{width}}  {all_total:7}  {all_killed / all_total * 100:.1f}% killed")
    equivalents = [n for n in EQUIVALENT if any(n.startswith(_dotted(m)) for m in modules)]
    if equivalents:
        print("\nequivalent survivors:")
        for name in equivalents:
            print(f"  {name}: {EQUIVALENT[name]}")
    if args.survivors:
        for module in modules:
            names = survivors(module)
            if names:
                print(f"\nsurvived in {module} (mutmut show NAME in {workdir(module)}):")
                print("\n".join(f"  {n}" for n in names))
    return 0


def _dotted(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".") + "."


if __name__ == "__main__":
    sys.exit(main())
