"""The outbox worker that sends paid orders to Gelato — once, whatever happens.

Gelato has no idempotency key, so the rule is: record ``submitting`` before the call; after
anything ambiguous (timeout, 5xx, a crash between the call and our commit) search Gelato by
our order number before calling again. Permanent refusals (4xx) park the order as
``needs_attention`` with Gelato's reason, for an operator to fix and retry.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from storefront.db import Database
from storefront.fulfillment.mapping import NotPrintable, to_gelato_request
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.gelato.client import GelatoClient
from storefront.gelato.errors import (
    GelatoAmbiguousError,
    GelatoError,
    GelatoPermanentError,
    GelatoTransientError,
)
from storefront.gelato.types import GelatoOrder, GelatoOrderRequest
from storefront.orders.models import Order
from storefront.orders.repository import lock_order
from storefront.orders.states import OrderStatus, record_event, transition
from storefront.orders.workflows import FULFILMENT_TOPIC
from storefront.outbox import services as outbox
from storefront.outbox.services import Claimed

log = logging.getLogger(__name__)
TOPIC = FULFILMENT_TOPIC
S = OrderStatus


@dataclass
class PushReport:
    """One pass over the due orders (``storefront.jobs.outcomes.ItemCounts``)."""

    pushed: int = 0  # created at Gelato
    found: int = 0  # already at Gelato after an ambiguous attempt
    retried: int = 0  # Gelato failed or did not answer: tried again later
    parked: int = 0  # refused for good: needs an operator
    skipped: int = 0  # no longer paid: nothing to send
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.pushed + self.found + self.retried + self.parked + self.skipped

    @property
    def failed(self) -> int:
        """Orders this pass could not hand over, for now (retried) or for good (parked)."""
        return self.retried + self.parked


def push_due(
    db: Database,
    client: GelatoClient,
    *,
    order_type: Literal["order", "draft"],
    limit: int,
    lease: timedelta,
    worker: str | None = None,
) -> PushReport:
    """Hand up to ``limit`` paid orders waiting in the outbox to Gelato (``order_type``:
    ``draft`` orders are never printed). The claims are kept alive while we work (a
    heartbeat), so ``lease`` is how long a crashed worker's orders wait for another one."""
    worker = worker or f"push-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    report = PushReport()
    with outbox.claimed(db, TOPIC, worker, limit=limit, lease=lease) as entries:
        for entry in entries:
            push_one(db, client, entry, report, order_type=order_type)
    return report


def push_one(
    db: Database,
    client: GelatoClient,
    entry: Claimed,
    report: PushReport,
    *,
    order_type: Literal["order", "draft"],
) -> None:
    order_id = int(entry.payload["order_id"])
    with db.session_scope(write=True) as session:
        order = session.get(Order, order_id)
        if order is None or order.status != S.PAID:
            outbox.complete(session, entry.id)
            report.skipped += 1
            report.notes.append(f"order {order_id}: {order.status if order else 'gone'}; skip")
            return
        number = order.number
        prepared: GelatoOrderRequest | NotPrintable
        try:
            prepared = to_gelato_request(order, order_type=order_type)
        except NotPrintable as exc:
            prepared = exc
    if isinstance(prepared, NotPrintable):  # parked in a session of its own, after this one
        _park(db, entry, order_id, f"not printable: {prepared}")
        report.parked += 1
        return
    request = prepared

    if entry.status_before == outbox.SUBMITTING or entry.attempts > 1:
        # The previous attempt may have reached Gelato: look before calling again.
        try:
            existing = client.find_by_reference(number)
        except GelatoError as exc:
            _retry(db, entry, f"search before retry failed: {exc}")
            report.retried += 1
            return
        if existing:
            orders = [client.get_order(summary.id) for summary in existing]
            _submitted(db, entry, order_id, orders, how="found after an ambiguous attempt")
            report.found += 1
            return

    with db.session_scope(write=True) as session:
        ours = outbox.mark_submitting(session, entry.id, worker=entry.worker or None)
    if not ours:
        # Our claim lapsed (this process stalled past the lease): another worker may have
        # taken the order over, and two calls would print it twice.
        report.skipped += 1
        report.notes.append(f"{number}: claim lapsed; left to the worker that took it over")
        return
    try:
        created = client.create_order(request)
    except GelatoPermanentError as exc:
        _park(db, entry, order_id, f"Gelato refused the order: {exc}")
        report.parked += 1
        return
    except (GelatoAmbiguousError, GelatoTransientError) as exc:
        _retry(db, entry, str(exc))
        report.retried += 1
        return
    orders = [created]
    for connected in created.connected_order_ids:
        if connected != created.id:
            try:
                orders.append(client.get_order(connected))
            except GelatoError:
                log.info("split order %s of %s not readable yet", connected, number)
    _submitted(db, entry, order_id, orders, how="created")
    report.pushed += 1


def _submitted(
    db: Database, entry: Claimed, order_id: int, gelato_orders: list[GelatoOrder], *, how: str
) -> None:
    with db.session_scope(write=True) as session:
        order = lock_order(session, order_id=order_id)
        assert order is not None
        for g in gelato_orders:
            record = session.query(GelatoOrderRecord).filter_by(gelato_order_id=g.id).first()
            if record is None:
                session.add(
                    GelatoOrderRecord(
                        order_id=order_id,
                        gelato_order_id=g.id,
                        status=g.fulfillment_status,
                        fulfillment_country=g.fulfillment_country,
                        item_statuses={i.item_reference_id: i.fulfillment_status for i in g.items},
                    )
                )
        if order.status == S.PAID:
            transition(
                session,
                order,
                S.SUBMITTED,
                actor="worker:gelato",
                reason=f"{how}: " + ", ".join(g.id for g in gelato_orders),
            )
        outbox.complete(session, entry.id)


def _retry(db: Database, entry: Claimed, error: str) -> None:
    with db.session_scope(write=True) as session:
        outbox.retry_later(session, entry.id, error, attempts=entry.attempts)


def _park(db: Database, entry: Claimed, order_id: int, reason: str) -> None:
    with db.session_scope(write=True) as session:
        order = lock_order(session, order_id=order_id)
        if order is not None and order.status == S.PAID:
            transition(session, order, S.NEEDS_ATTENTION, actor="worker:gelato", reason=reason)
        elif order is not None:
            record_event(
                session, order, "fulfillment_refused", actor="worker:gelato", reason=reason
            )
        outbox.park(session, entry.id, reason)


def retry_parked(db: Database, order_id: int, *, actor: str) -> bool:
    """An operator fixed the cause: move the order back to paid and queue the push again."""
    with db.session_scope(write=True) as session:
        order = lock_order(session, order_id=order_id)
        if order is None or order.status != S.NEEDS_ATTENTION:
            return False
        transition(session, order, S.PAID, actor=actor, reason="retry fulfillment")
        if not outbox.requeue(session, TOPIC, order.number):
            outbox.enqueue(session, TOPIC, order.number, {"order_id": order.id})
        record_event(session, order, "fulfillment_retry", actor=actor)
        return True
