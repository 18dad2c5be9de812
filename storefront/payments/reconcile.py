"""Catching what webhooks missed: ask the providers about every order still unpaid.

Run by the sync process (``payments`` job) and callable from the CLI. It asks about each
order in ``pending_payment`` whose shopper said yes at the provider (came back to the
return page, approved, or has a pending capture) at once, and about the others — most of
them abandoned checkouts — once they are past the grace period. The provider's own answer
decides: paid → confirmed (the same idempotent path as the webhook), failed → failed,
lapsed → cancelled and its stock released. Stripe's undelivered events are replayed too.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select

from storefront.db import Database, utcnow
from storefront.gateways.port import PaymentError, PaymentGateway
from storefront.gateways.registry import Gateways
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from storefront.outbox import services as outbox
from storefront.payments import confirmation as payments
from storefront.payments.events import PAYPAL_CAPTURE, handle_event
from storefront.payments.flow import apply_status, latest_ref
from storefront.payments.models import AttemptStatus, Payment

log = logging.getLogger(__name__)
WORKER = f"payments-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class ReconcileReport:
    """Orders or events asked about (``storefront.jobs.outcomes.ItemCounts``). A provider
    that could not even list them counts one failure with nothing checked."""

    checked: int = 0
    changed: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.checked


def reconcile_pending(
    db: Database,
    gateways: Gateways,
    *,
    order_link: Callable[[str], str],
    grace: timedelta,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[list[int]], list[int]] | None = None,
    lapsed_only: bool = False,
) -> ReconcileReport:
    now = now or utcnow()
    report = ReconcileReport()
    with db.session_scope() as session:
        rows = session.execute(
            select(Order.id, Order.number, Order.payment_provider, Order.payment_expires_at)
            .where(
                Order.status == OrderStatus.PENDING_PAYMENT,
                or_(Order.created_at < now - grace, Order.id.in_(_shopper_said_yes())),
                *([Order.payment_expires_at < now] if lapsed_only else []),
            )
            .order_by(Order.id)
        ).all()
        refs = {
            row.id: latest_ref(session, row.id, row.payment_provider or "stripe") for row in rows
        }
    ids = [row.id for row in rows]
    by_id = {row.id: row for row in rows}
    for order_id in progress(ids) if progress else ids:
        row = by_id[order_id]
        report.checked += 1
        provider, ref = row.payment_provider or "stripe", refs[order_id]
        lapsed = row.payment_expires_at is not None and row.payment_expires_at < now
        if ref is None:
            if lapsed:
                report.notes.append(f"{row.number}: never reached {provider}; cancel")
                if not dry_run:
                    with db.session_scope(write=True) as session:
                        payments.expire_order(
                            session, order_id, actor="job:payments", reason="checkout never started"
                        )
                report.changed += 1
            continue
        try:
            gateway = gateways.get(provider)
            status = gateway.get_status(ref)
            if status.state == "approved" and not dry_run:
                status = gateway.capture(ref)
            if status.state == "open" and lapsed and not dry_run:
                status = gateway.expire(ref)
        except PaymentError as exc:
            report.failed += 1
            report.notes.append(f"{row.number}: {provider} did not answer ({exc})")
            continue
        state = status.state
        if state == "open" and lapsed:
            state = "expired"  # PayPal orders simply lapse
            status = replace(status, state="expired")
        if state in ("paid", "failed", "expired"):
            report.notes.append(f"{row.number}: {provider} says {state}")
            report.changed += 1
            if not dry_run:
                apply_status(db, order_id, status, actor="job:payments", order_link=order_link)
    return report


def _shopper_said_yes() -> Select[int]:
    """Orders with an attempt the shopper approved (or whose capture is pending)."""
    return select(Payment.order_id).where(
        Payment.status.in_((AttemptStatus.APPROVED, AttemptStatus.PENDING))
    )


def replay_undelivered_events(
    db: Database,
    gateway: PaymentGateway,
    *,
    since: datetime,
    order_link: Callable[[str], str],
    dry_run: bool = False,
) -> ReconcileReport:
    """Events the provider could not deliver (Stripe keeps them): apply them, deduped like
    any webhook."""
    report = ReconcileReport()
    try:
        events = list(gateway.undelivered_events(since))
    except PaymentError as exc:
        report.failed += 1
        report.notes.append(f"stripe events: {exc}")
        return report
    for event in events:
        report.checked += 1
        if dry_run:
            report.notes.append(f"would apply {event.type} {event.event_id}")
            continue
        outcome = handle_event(db, event, order_link=order_link)
        if outcome != "duplicate":
            report.changed += 1
            report.notes.append(f"{event.event_id} {event.type}: {outcome}")
    return report


def capture_approved(
    db: Database,
    gateways: Gateways,
    *,
    order_link: Callable[[str], str],
    limit: int = 20,
    lease: timedelta = outbox.DEFAULT_LEASE,
) -> ReconcileReport:
    """PayPal approvals promised by webhooks: capture (idempotently) and apply the result."""
    report = ReconcileReport()
    with outbox.claimed(db, PAYPAL_CAPTURE, WORKER, limit=limit, lease=lease) as entries:
        for entry in entries:
            _capture(db, gateways, entry, report, order_link)
    return report


def _capture(
    db: Database,
    gateways: Gateways,
    entry: outbox.Claimed,
    report: ReconcileReport,
    order_link: Callable[[str], str],
) -> None:
    report.checked += 1
    try:
        status = gateways.paypal.capture(entry.payload["paypal_order_id"])
    except PaymentError as exc:
        report.failed += 1
        with db.session_scope(write=True) as session:
            if exc.retryable:
                outbox.retry_later(session, entry.id, str(exc), attempts=entry.attempts)
            else:
                outbox.park(session, entry.id, str(exc))
        return
    apply_status(
        db,
        int(entry.payload["order_id"]),
        status,
        actor="job:paypal-capture",
        order_link=order_link,
    )
    with db.session_scope(write=True) as session:
        outbox.complete(session, entry.id)
    report.changed += 1
