"""Back in stock: ask once, confirm (double opt-in unless logged in), hear once.

A request is for one variant (product and size/colour), recorded by Gelato's ``productUid``,
which is what the inventory reconcile reports. ``pending`` waits for the e-mail's
confirmation link, ``open`` waits for the size, ``notified`` is closed: its one e-mail was
queued in the transaction that closed it (outbox key ``back_in_stock:<request id>``), so a
second reconcile run, or two sync processes at once, never e-mail anybody twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storefront.catalog.offers import Offer, OfferSource
from storefront.db import Database, rows_matched, utcnow
from storefront.errors import Conflict, NotFound
from storefront.mail.messages import queue_email
from storefront.money import format_money
from storefront.restock.models import RestockRequest

PENDING, OPEN, NOTIFIED = "pending", "open", "notified"
WAITING = (PENDING, OPEN)


def normalise(email: str) -> str:
    return email.strip().lower()


def wanted_offer(offers: OfferSource, product_id: str, variant_key: str) -> Offer:
    """The sold-out variant a shopper may wait for; else a clear 4xx."""
    offer = offers.offers([(product_id, variant_key)]).get((product_id, variant_key))
    if offer is None:
        raise NotFound("We do not make that size and colour of this shirt.")
    if offer.available:
        raise Conflict("That size is in stock: you can order it now.", code="in_stock")
    if offer.limited_quantity is not None:
        raise Conflict(
            "That limited edition is sold out for good; it will not come back.",
            code="limited_edition",
        )
    return offer


def request(
    session: Session,
    offer: Offer,
    email: str,
    *,
    customer_id: int | None,
    confirm_link: Callable[[int], str],
) -> RestockRequest:
    """Record the wish. Logged in (``customer_id``) it is open at once; otherwise a
    confirmation e-mail is queued. Asking again for the same size is refused."""
    email = normalise(email)
    existing = session.execute(
        select(RestockRequest).where(
            func.lower(RestockRequest.email) == email,
            RestockRequest.product_uid == offer.product_uid,
            RestockRequest.status.in_(WAITING),
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            "You already asked about this size; we will e-mail you once when it is back"
            + (" (confirm the link we sent first)." if existing.status == PENDING else "."),
            code="already_requested",
        )
    now = utcnow()
    req = RestockRequest(
        email=email,
        customer_id=customer_id,
        product_id=offer.product_id,
        variant_key=offer.variant_key,
        product_uid=offer.product_uid,
        status=OPEN if customer_id is not None else PENDING,
        confirmed_at=now if customer_id is not None else None,
    )
    session.add(req)
    session.flush()
    if req.status == PENDING:
        queue_email(
            session,
            "restock_confirm",
            email,
            str(req.id),
            {
                "title": offer.title,
                "size": offer.size,
                "colour": offer.colour,
                "link": confirm_link(req.id),
            },
        )
    return req


def confirm(session: Session, request_id: int) -> RestockRequest:
    req = session.get(RestockRequest, request_id)
    if req is None:
        raise NotFound("We have no such request (it may have been deleted with an account).")
    if req.status == PENDING:
        req.status = OPEN
        req.confirmed_at = utcnow()
    return req


@dataclass
class RestockReport:
    """Requests whose size is back (``storefront.jobs.outcomes.ItemCounts``)."""

    due: int = 0
    sent: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.due


def notify_available(
    db: Database,
    offers: OfferSource,
    available_uids: Iterable[str],
    *,
    product_link: Callable[[str, str], str],
    dry_run: bool = False,
) -> RestockReport:
    """E-mail every confirmed request whose variant is available again, once, and close it.

    ``available_uids``: the variants the inventory reconcile just found (and wrote as)
    available. The price in the e-mail is the catalog's current one.
    """
    report = RestockReport()
    uids = sorted(set(available_uids))
    if not uids:
        return report
    with db.session_scope() as session:
        due = [
            (r.id, r.email, r.product_id, r.variant_key)
            for r in session.execute(
                select(RestockRequest)
                .where(RestockRequest.status == OPEN, RestockRequest.product_uid.in_(uids))
                .order_by(RestockRequest.id)
            ).scalars()
        ]
    report.due = len(due)
    if not due:
        return report
    # the catalog is asked with no session open (it may call the content API)
    found = offers.offers({(pid, key) for _, _, pid, key in due})
    if dry_run:
        report.notes.append(f"would e-mail {len(due)} people that their size is back")
        return report
    with db.session_scope(write=True) as session:
        for req_id, email, pid, key in due:
            offer = found.get((pid, key))
            if offer is None:
                report.notes.append(f"request {req_id}: the variant is no longer in the catalog")
                continue
            closed = rows_matched(
                session,
                update(RestockRequest)
                .where(RestockRequest.id == req_id, RestockRequest.status == OPEN)
                .values(status=NOTIFIED, notified_at=utcnow()),
            )
            if not closed:
                continue  # another sync process closed it first
            queue_email(
                session,
                "back_in_stock",
                email,
                str(req_id),
                {
                    "title": offer.title,
                    "size": offer.size,
                    "colour": offer.colour,
                    "price": format_money(offer.unit_amount, offer.currency),
                    "link": product_link(offer.slug, offer.variant_key),
                },
            )
            report.sent += 1
    return report


def for_email(session: Session, email: str) -> list[RestockRequest]:
    return list(
        session.execute(
            select(RestockRequest)
            .where(func.lower(RestockRequest.email) == normalise(email))
            .order_by(RestockRequest.id)
        ).scalars()
    )
