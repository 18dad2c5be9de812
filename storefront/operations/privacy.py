"""The person's rights: everything we hold about them, and forgetting them everywhere.

Orders are kept for accounting, with the personal data in them anonymised. The e-mail
provider deletes the member permanently (queued through the outbox, so a provider outage
delays it but never loses it). Content documents in Sanity hold no personal data — designs
and pages only — so there is nothing to delete there; the export says so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storefront.accounts.models import Address, Customer
from storefront.cart.models import Cart, CartStatus
from storefront.db import utcnow
from storefront.newsletter.models import Subscriber
from storefront.newsletter.services import NEWSLETTER_DELETE
from storefront.orders.models import Order
from storefront.orders.states import record_event
from storefront.outbox import services as outbox
from storefront.restock.models import RestockRequest
from storefront.reviews.models import Review


def export(session: Session, customer_id: int) -> dict[str, Any]:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(customer_id)
    orders = (
        session.execute(
            select(Order)
            .where(
                (Order.customer_id == customer.id)
                | (func.lower(Order.email) == customer.email.lower())
            )
            .order_by(Order.id)
        )
        .scalars()
        .all()
    )
    sub = session.execute(
        select(Subscriber).where(func.lower(Subscriber.email) == customer.email.lower())
    ).scalar_one_or_none()
    return {
        "account": {
            "email": customer.email,
            "name": customer.name,
            "role": customer.role,
            "created_at": customer.created_at.isoformat(),
            "email_verified_at": _iso(customer.email_verified_at),
            "last_login_at": _iso(customer.last_login_at),
        },
        "addresses": [
            {
                k: getattr(a, k)
                for k in (
                    "first_name",
                    "last_name",
                    "company",
                    "line1",
                    "line2",
                    "city",
                    "post_code",
                    "state",
                    "country",
                    "phone",
                )
            }
            for a in customer.addresses
        ],
        "orders": [
            {
                "number": o.number,
                "placed_at": o.created_at.isoformat(),
                "status": o.status,
                "total": o.total_amount,
                "currency": o.currency,
                "shipping_address": o.shipping_address,
                "items": [
                    {
                        "title": i.title,
                        "size": i.size,
                        "colour": i.colour,
                        "quantity": i.quantity,
                        "unit_amount": i.unit_amount,
                    }
                    for i in o.items
                ],
            }
            for o in orders
        ],
        "newsletter": None
        if sub is None
        else {
            "status": sub.status,
            "consent_at": _iso(sub.consent_at),
            "consent_source": sub.consent_source,
            "confirmed_at": _iso(sub.confirmed_at),
        },
        "review_invites": customer.review_invites,
        "reviews": [
            {
                "product_id": r.product_id,
                "order": next((o.number for o in orders if o.id == r.order_id), None),
                "display_name": r.display_name,
                "rating": r.rating,
                "body": r.body,
                "status": r.status,
                "reply": r.reply,
                "written_at": r.created_at.isoformat(),
            }
            for r in _reviews(session, customer.id, [o.id for o in orders])
        ],
        "back_in_stock_requests": [
            {
                "product_id": r.product_id,
                "variant_key": r.variant_key,
                "status": r.status,
                "asked_at": r.created_at.isoformat(),
                "confirmed_at": _iso(r.confirmed_at),
                "notified_at": _iso(r.notified_at),
            }
            for r in _restock_requests(session, customer.id, customer.email)
        ],
        "content_documents": "none — the CMS holds designs and pages, no personal data",
    }


def _reviews(session: Session, customer_id: int, order_ids: list[int]) -> list[Review]:
    return list(
        session.execute(
            select(Review)
            .where((Review.customer_id == customer_id) | Review.order_id.in_(order_ids))
            .order_by(Review.id)
        ).scalars()
    )


def _restock_requests(session: Session, customer_id: int, email: str) -> list[RestockRequest]:
    return list(
        session.execute(
            select(RestockRequest)
            .where(
                (RestockRequest.customer_id == customer_id)
                | (func.lower(RestockRequest.email) == email.lower())
            )
            .order_by(RestockRequest.id)
        ).scalars()
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def forget(session: Session, customer_id: int, *, actor: str) -> None:
    """Anonymise the customer and their orders; queue the permanent delete at the provider."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        return
    email = customer.email.lower()
    placeholder = f"deleted-{customer.id}@invalid.example"
    orders = (
        session.execute(
            select(Order).where(
                (Order.customer_id == customer.id) | (func.lower(Order.email) == email)
            )
        )
        .scalars()
        .all()
    )
    # Reviews are theirs (a name they chose and their words): gone with the account.
    for review in _reviews(session, customer.id, [o.id for o in orders]):
        session.delete(review)
    session.execute(
        delete(RestockRequest).where(
            (RestockRequest.customer_id == customer.id)
            | (func.lower(RestockRequest.email) == email)
        )
    )
    for order in orders:
        country = (order.shipping_address or {}).get("country")
        order.email = placeholder
        order.review_invites = False
        order.shipping_address = {"country": country, "anonymised": True}
        record_event(session, order, "personal_data_erased", actor=actor)
    session.execute(
        update(Cart)
        .where(Cart.customer_id == customer.id)
        .values(customer_id=None, status=CartStatus.ABANDONED)
    )
    for address in list(customer.addresses):
        session.delete(address)
    session.query(Address).filter(Address.customer_id == customer.id).delete()
    subscriber = session.execute(
        select(Subscriber).where(func.lower(Subscriber.email) == email)
    ).scalar_one_or_none()
    if subscriber is not None:
        session.delete(subscriber)
    outbox.enqueue(session, NEWSLETTER_DELETE, f"customer-{customer.id}", {"email": email})
    customer.email = placeholder
    customer.name = None
    customer.password_hash = None
    customer.review_invites = False
    customer.anonymised_at = utcnow()
