"""Inventory reconcile: Gelato's stock → Sanity ``inventory`` documents, writing only changes.

The sync job is the only writer of ``inventory`` documents (one per Gelato productUid,
``_id = "inventory-<productUid>"``: a root-path id, so the public API can read it). The
catalog reads ``available`` with the products, so a variant Gelato cannot make disappears
from sale within one cache cycle, and comes back the same way. Unknown statuses are not
in stock. Writes go in batched transactions guarded by ``ifRevisionID``; a conflict (an
editor or a second run touched a document) re-reads those documents and tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storefront.gcpause import collector_paused
from storefront.gelato.client import GelatoClient
from storefront.gelato.types import ProductAvailability
from storefront.sanity.client import SanityClient
from storefront.sanity.errors import ConflictError

log = logging.getLogger(__name__)

VARIANT_UIDS = """*[_type == "product" && defined(variants)]{
  _id, "uids": variants[defined(productUid)].productUid
}"""
INVENTORY_DOCS = """*[_type == "inventory"]{_id, _rev, productUid, available, regions}"""
BATCH = 200  # mutations per transaction
MAX_CONFLICT_ROUNDS = 3


def inventory_id(product_uid: str) -> str:
    return f"inventory-{product_uid}"


@dataclass
class InventoryReport:
    """Variants reconciled (``storefront.jobs.outcomes.ItemCounts``); ``failed`` are the ones
    still conflicting after every retry, so not written."""

    variants: int = 0
    unchanged: int = 0
    written: int = 0
    failed: int = 0
    conflicts: int = 0
    gelato_calls: int = 0
    mutation_requests: int = 0
    changes: list[str] = field(default_factory=list)
    #: Variants Gelato can make whose Sanity document now says so (written or unchanged):
    #: what a back-in-stock notice may follow (never a dry run's or a failed write's).
    available: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.variants


def desired_state(
    uid: str, availability: ProductAvailability | None, region: str
) -> dict[str, Any]:
    regions = []
    if availability is not None:
        regions = [
            {"_key": r.region, "region": r.region, "status": str(r.status)}
            for r in sorted(availability.regions.values(), key=lambda r: r.region)
        ]
    available = availability is not None and availability.sellable_in(region)
    return {"productUid": uid, "available": available, "regions": regions}


def _same(existing: dict[str, Any] | None, desired: dict[str, Any]) -> bool:
    if existing is None:
        return False
    return bool(existing.get("available")) == desired["available"] and [
        (r.get("region"), r.get("status")) for r in existing.get("regions") or []
    ] == [(r["region"], r["status"]) for r in desired["regions"]]


def reconcile_inventory(
    sanity: SanityClient,
    gelato: GelatoClient,
    *,
    region: str,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[Sequence[list[str]]], Iterable[list[str]]] | None = None,
) -> InventoryReport:
    # Every variant's availability and inventory document is held at once: see gcpause.
    with collector_paused():
        return _reconcile(
            sanity, gelato, region=region, dry_run=dry_run, now=now, progress=progress
        )


def _reconcile(
    sanity: SanityClient,
    gelato: GelatoClient,
    *,
    region: str,
    dry_run: bool,
    now: datetime | None,
    progress: Callable[[Sequence[list[str]]], Iterable[list[str]]] | None,
) -> InventoryReport:
    report = InventoryReport()
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    products = sanity.query(VARIANT_UIDS, perspective="published", use_cdn=False) or []
    product_of: dict[str, str] = {}
    for product in products:
        for uid in product.get("uids") or []:
            product_of.setdefault(uid, product["_id"])
    uids = sorted(product_of)
    report.variants = len(uids)
    batches = [uids[i : i + 250] for i in range(0, len(uids), 250)]
    availability: dict[str, ProductAvailability] = {}
    for batch in progress(batches) if progress else batches:
        availability.update(gelato.stock_availability(batch))
        report.gelato_calls += 1

    existing = {
        doc["productUid"]: doc
        for doc in sanity.query(INVENTORY_DOCS, perspective="published", use_cdn=False) or []
        if doc.get("productUid")
    }
    pending: list[str] = []
    for uid in uids:
        desired = desired_state(uid, availability.get(uid), region)
        if _same(existing.get(uid), desired):
            report.unchanged += 1
        else:
            pending.append(uid)
            was = existing.get(uid)
            before = "new" if was is None else _word(bool(was.get("available")))
            report.changes.append(f"{uid}: {before} → {_word(desired['available'])}")
    sellable = [
        uid for uid in uids if desired_state(uid, availability.get(uid), region)["available"]
    ]
    if dry_run:
        return report
    if not pending:
        report.available = sellable
        return report

    for _round in range(MAX_CONFLICT_ROUNDS):
        failed: list[str] = []
        for start in range(0, len(pending), BATCH):
            chunk = pending[start : start + BATCH]
            mutations = [
                _mutation(
                    uid,
                    product_of[uid],
                    existing.get(uid),
                    desired_state(uid, availability.get(uid), region),
                    stamp,
                )
                for uid in chunk
            ]
            try:
                sanity.mutate(mutations)
                report.written += len(chunk)
            except ConflictError:
                report.conflicts += 1
                failed.extend(chunk)
            finally:
                report.mutation_requests += 1
        if not failed:
            break
        fresh = sanity.get_documents([inventory_id(uid) for uid in failed])
        for uid, doc in zip(failed, fresh, strict=True):
            if doc is None:
                existing.pop(uid, None)
            else:
                existing[uid] = doc
        pending = [
            uid
            for uid in failed
            if not _same(existing.get(uid), desired_state(uid, availability.get(uid), region))
        ]
        report.unchanged += len(failed) - len(pending)
        if not pending:
            break
    else:
        report.failed = len(pending)
        log.warning("inventory: %d documents still conflicting after retries", len(pending))
    unwritten = set(pending) if report.failed else set()
    report.available = [uid for uid in sellable if uid not in unwritten]
    return report


def _word(available: bool) -> str:
    return "available" if available else "unavailable"


def _mutation(
    uid: str, product_id: str, existing: dict[str, Any] | None, desired: dict[str, Any], stamp: str
) -> dict[str, Any]:
    body = {
        **desired,
        "checkedAt": stamp,
        "product": {"_type": "reference", "_ref": product_id, "_weak": True},
    }
    if existing is None:
        return {"create": {"_id": inventory_id(uid), "_type": "inventory", **body}}
    return {"patch": {"id": existing["_id"], "ifRevisionID": existing["_rev"], "set": body}}


def uids_of(products: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({uid for p in products for uid in p.get("uids") or []})
