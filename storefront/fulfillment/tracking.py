"""Following an order to the door: Gelato's statuses and parcels, read back into ours.

Webhooks and the polling job both end in :func:`sync_order`, which re-reads the orders from
Gelato (webhooks are unsigned and lossy, so their content is never trusted), aggregates
split orders item by item, moves our order forward only, merges tracking codes and sends
one "shipped" e-mail per new tracking code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.countries import in_sentence
from storefront.db import Database, utcnow
from storefront.fulfillment.models import GelatoOrderRecord, Parcel
from storefront.gelato.client import GelatoClient
from storefront.gelato.errors import GelatoError
from storefront.gelato.types import FulfillmentStatus as G
from storefront.gelato.types import GelatoOrder
from storefront.mail.messages import queue_email
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import (
    FULFILLMENT_RANK,
    OPEN_FULFILLMENT,
    OrderStatus,
    fulfillment_step,
    transition,
)

log = logging.getLogger(__name__)
S = OrderStatus

#: Gelato item status → how far along that item is, in our terms.
ITEM_STAGE = {
    G.CREATED: S.SUBMITTED,
    G.UPLOADING: S.SUBMITTED,
    G.PASSED: S.SUBMITTED,
    G.PENDING_APPROVAL: S.SUBMITTED,
    G.DIGITIZING: S.SUBMITTED,
    G.DRAFT: S.SUBMITTED,
    G.IN_PRODUCTION: S.IN_PRODUCTION,
    G.PRINTED: S.IN_PRODUCTION,
    G.SHIPPED: S.SHIPPED,
    G.IN_TRANSIT: S.SHIPPED,
    G.DELIVERED: S.DELIVERED,
}
TROUBLE = frozenset({G.FAILED, G.ON_HOLD})


@dataclass
class SyncResult:
    status_before: str
    status_after: str
    new_parcels: list[str] = field(default_factory=list)


def aggregate(orders: list[GelatoOrder]) -> tuple[S | None, str | None]:
    """The stage every item has reached (the slowest item decides), or trouble and why."""
    stages = []
    for g in orders:
        for item in g.items:
            status = item.fulfillment_status
            if status in TROUBLE:
                return S.NEEDS_ATTENTION, f"Gelato reports item {item.item_reference_id} {status}"
            stage = ITEM_STAGE.get(status)
            if stage is not None:
                stages.append(stage)
        if not g.items and g.fulfillment_status in TROUBLE:
            return S.NEEDS_ATTENTION, f"Gelato order {g.id} is {g.fulfillment_status}"
    if not stages:
        return None, None
    return min(stages, key=FULFILLMENT_RANK.__getitem__), None


def sync_order(
    db: Database,
    client: GelatoClient,
    number: str,
    *,
    order_link: Callable[[str], str],
    actor: str,
) -> SyncResult | None:
    """Read the order back from Gelato and move ours on (``order_link``: the shopper's link
    to an order, for the shipping e-mail; ``actor``: who asked, for the order's events)."""
    try:
        orders = [client.get_order(s.id) for s in client.find_by_reference(number)]
    except GelatoError as exc:
        log.warning("could not read Gelato orders for %s: %s", number, exc)
        return None
    with db.session_scope(write=True) as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
        if order is None:
            return None
        order = lock_order(session, order_id=order.id)
        assert order is not None
        before = order.status
        new_parcels: list[str] = []
        for g in orders:
            record = session.execute(
                select(GelatoOrderRecord).where(GelatoOrderRecord.gelato_order_id == g.id)
            ).scalar_one_or_none()
            if record is None:
                record = GelatoOrderRecord(order_id=order.id, gelato_order_id=g.id)
                session.add(record)
            record.status = g.fulfillment_status
            record.fulfillment_country = g.fulfillment_country or record.fulfillment_country
            record.item_statuses = {i.item_reference_id: str(i.fulfillment_status) for i in g.items}
            for package in g.packages:
                if package.tracking_code and _add_parcel(
                    session, order, g.id, package.tracking_code, package.tracking_url
                ):
                    new_parcels.append(package.tracking_code)
        target, reason = aggregate(orders)
        if order.status in (*OPEN_FULFILLMENT, S.NEEDS_ATTENTION):
            step = fulfillment_step(S(order.status), target)
            if step is not None:
                why = reason or "Gelato: " + ", ".join(
                    sorted({str(g.fulfillment_status) for g in orders})
                )
                transition(session, order, step, actor=actor, reason=why)
        printed_in = {g.id: g.fulfillment_country for g in orders if g.fulfillment_country}
        for code in new_parcels:
            parcel = session.execute(
                select(Parcel).where(Parcel.order_id == order.id, Parcel.tracking_code == code)
            ).scalar_one()
            country = printed_in.get(parcel.gelato_order_id)  # this parcel's print hub
            link = order_link(order.number)
            queue_email(
                session,
                "order_shipped",
                order.email,
                f"{order.number}:{code}",
                {
                    "number": order.number,
                    "tracking_code": code,
                    "tracking_url": parcel.tracking_url or "",
                    "country": in_sentence(country),  # "" when Gelato named none
                    "link": link,
                },
            )
            parcel.notified_at = utcnow()
        return SyncResult(before, order.status, new_parcels)


def _add_parcel(session: Session, order: Order, gelato_id: str, code: str, url: str | None) -> bool:
    existing = session.execute(
        select(Parcel).where(Parcel.order_id == order.id, Parcel.tracking_code == code)
    ).scalar_one_or_none()
    if existing is not None:
        if url and not existing.tracking_url:
            existing.tracking_url = url
        return False
    session.add(
        Parcel(order_id=order.id, gelato_order_id=gelato_id, tracking_code=code, tracking_url=url)
    )
    session.flush()
    return True


def open_order_numbers(db: Database) -> list[str]:
    with db.session_scope() as session:
        return list(
            session.execute(
                select(Order.number)
                .where(Order.status.in_([s.value for s in OPEN_FULFILLMENT]))
                .order_by(Order.id)
            ).scalars()
        )


@dataclass(frozen=True)
class Delivery:
    """Where an order was printed and its parcels, for the shopper's order page."""

    countries: list[str]
    parcels: list[Parcel]


def delivery_of(session: Session, order_id: int) -> Delivery | None:
    """None until Gelato has the order (nothing to show yet)."""
    records = (
        session.execute(select(GelatoOrderRecord).where(GelatoOrderRecord.order_id == order_id))
        .scalars()
        .all()
    )
    parcels = (
        session.execute(select(Parcel).where(Parcel.order_id == order_id).order_by(Parcel.id))
        .scalars()
        .all()
    )
    if not records and not parcels:
        return None
    countries = sorted({r.fulfillment_country for r in records if r.fulfillment_country})
    return Delivery(countries, list(parcels))


def parcels_by_order(session: Session, order_ids: list[int]) -> dict[int, list[Parcel]]:
    """Each order's parcels (for the order history's tracking links), in one query."""
    found: dict[int, list[Parcel]] = {}
    if order_ids:
        rows = session.execute(
            select(Parcel).where(Parcel.order_id.in_(order_ids)).order_by(Parcel.id)
        ).scalars()
        for parcel in rows:
            found.setdefault(parcel.order_id, []).append(parcel)
    return found
