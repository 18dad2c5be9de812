"""The person's rights: everything we hold about them, and forgetting them everywhere.

Orders are kept for accounting, with the personal data in them anonymised. The e-mail
provider deletes the member permanently (queued through the outbox, so a provider outage
delays it but never loses it). Content documents in Sanity hold no personal data — designs
and pages only — so there is nothing to delete there; the export says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.orm import Session

from storefront.accounts import twofactor
from storefront.accounts.models import Address, Customer
from storefront.cart.models import Cart, CartStatus
from storefront.db import utcnow
from storefront.discounts.models import DiscountRedemption
from storefront.fieldcrypt import email_matches, normalise_email
from storefront.inbox.models import WebhookEvent
from storefront.invoices import services as invoices
from storefront.invoices.models import CreditNote
from storefront.mail.messages import TOPIC as MAIL_TOPIC
from storefront.newsletter.models import Subscriber
from storefront.newsletter.services import NEWSLETTER_DELETE
from storefront.orders.models import Order, OrderEvent
from storefront.orders.states import OrderStatus, record_event
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry
from storefront.payments.models import Payment
from storefront.restock.models import RestockRequest
from storefront.reviews.models import Review


def export(session: Session, customer_id: int) -> dict[str, Any]:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(customer_id)
    orders = orders_of(session, customer)
    sub = _subscriber(session, customer)
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
                "discount_code": o.discount_code,
                "discount": o.discount_amount + o.shipping_discount_amount,
                "invoice": _invoice(session, o.id),
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
            for r in _restock_requests(session, customer)
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


def _restock_of(session: Session, customer: Customer) -> ColumnElement[bool]:
    """Back-in-stock requests of the account, and those left with its address as a guest
    once the customer has proved they own it."""
    mine = RestockRequest.customer_id == customer.id
    if customer.email_verified_at is not None:
        mine = mine | email_matches(session, RestockRequest.email_index, customer.email)
    return mine


def _restock_requests(session: Session, customer: Customer) -> list[RestockRequest]:
    return list(
        session.execute(
            select(RestockRequest).where(_restock_of(session, customer)).order_by(RestockRequest.id)
        ).scalars()
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


#: Orders the printer or the carrier still needs the address of: their personal data is
#: kept until the order is done with, then :func:`finish_erasures` removes it.
IN_FULFILLMENT = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.SUBMITTED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.SHIPPED,
        OrderStatus.NEEDS_ATTENTION,
    }
)
ERASED = "personal_data_erased"
ERASURE_WAITING = "personal_data_erasure_waiting"
PAYMENT_PROVIDERS = ("stripe", "paypal")


def orders_of(session: Session, customer: Customer) -> list[Order]:
    """The customer's orders: those placed in the account, and guest orders placed with the
    same e-mail only once the customer has proved they own it (registering an address is not
    owning it)."""
    mine = Order.customer_id == customer.id
    if customer.email_verified_at is not None:
        mine = mine | email_matches(session, Order.email_index, customer.email)
    return list(session.execute(select(Order).where(mine).order_by(Order.id)).scalars())


def _subscriber(session: Session, customer: Customer) -> Subscriber | None:
    """The newsletter record of the customer's address, for its proven owner only."""
    if customer.email_verified_at is None:
        return None
    return session.execute(
        select(Subscriber).where(email_matches(session, Subscriber.email_index, customer.email))
    ).scalar_one_or_none()


def forget(session: Session, customer_id: int, *, actor: str) -> Erasure:
    """Erase the person: the account, addresses, carts, newsletter record, every stored copy
    (payment webhook payloads, queued and sent e-mails), and the personal data of their
    orders — except orders still being printed or delivered, which keep what the printer and
    the carrier need until they are done (:func:`finish_erasures`). Orders themselves stay
    for the books. The delete at the e-mail provider is queued through the outbox."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        return Erasure(email=None, waiting=0)
    email = normalise_email(customer.email)
    waiting = 0
    orders = orders_of(session, customer)
    # Reviews are theirs (a name they chose and their words): gone with the account.
    for review in _reviews(session, customer.id, [o.id for o in orders]):
        session.delete(review)
    session.execute(delete(RestockRequest).where(_restock_of(session, customer)))
    _purge_copies(session, email, orders)
    # Codes used count per customer; the count stays, who it was goes. Invoices and credit
    # notes are kept as issued: the law requires keeping them (GDPR art. 17(3)(b)).
    session.execute(
        update(DiscountRedemption)
        .where(DiscountRedemption.order_id.in_([o.id for o in orders]))
        .values(customer_key=f"erased-{customer.id}")
    )
    for order in orders:
        order.customer_id = customer.id  # a verified guest order: found again when it is done
        order.review_invites = False
        if order.status in IN_FULFILLMENT:
            waiting += 1
            record_event(session, order, ERASURE_WAITING, actor=actor)
        else:
            _anonymise(session, order, actor=actor)
    session.execute(
        update(Cart)
        .where(Cart.customer_id == customer.id)
        .values(customer_id=None, status=CartStatus.ABANDONED)
    )
    for address in list(customer.addresses):
        session.delete(address)
    session.query(Address).filter(Address.customer_id == customer.id).delete()
    subscriber = _subscriber(session, customer)
    if subscriber is not None:
        session.delete(subscriber)
    if customer.email_verified_at is not None:
        # Only the address's proven owner may have it deleted at the provider (for good:
        # Mailchimp never lets a permanently deleted address back). The provider needs the
        # address to find the member; the outbox entry forgets it once done.
        outbox.enqueue(session, NEWSLETTER_DELETE, f"customer-{customer.id}", {"email": email})
    customer.email = f"deleted-{customer.id}@invalid.example"
    customer.name = None
    customer.password_hash = None
    customer.review_invites = False
    twofactor.reset(session, customer.id)  # an erased staff member's sealed secret goes too
    customer.anonymised_at = utcnow()
    return Erasure(email=email, waiting=waiting)


@dataclass(frozen=True)
class Erasure:
    #: The address erased (for the caller to clear what lives outside the database).
    email: str | None
    #: Orders still in fulfillment whose personal data is kept until they are done.
    waiting: int


def finish_erasures(session: Session, *, actor: str) -> list[str]:
    """Complete the erasures that waited for orders in fulfillment: every order of an
    erased customer that is done with and not yet anonymised. Returns the e-mail addresses
    forgotten, for the caller to clear copies outside the database (the mail folder)."""
    erased_already = select(OrderEvent.id).where(
        OrderEvent.order_id == Order.id, OrderEvent.kind == ERASED
    )
    due = session.execute(
        select(Order)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Customer.anonymised_at.is_not(None),
            Order.status.not_in([s.value for s in IN_FULFILLMENT]),
            ~exists(erased_already),
        )
        .order_by(Order.id)
    ).scalars()
    emails: list[str] = []
    for order in due:
        email = normalise_email(order.email)
        _purge_copies(session, email, [order])
        _anonymise(session, order, actor=actor)
        emails.append(email)
    return sorted(set(emails))


def _anonymise(session: Session, order: Order, *, actor: str) -> None:
    country = (order.shipping_address or {}).get("country")
    order.email = f"deleted-order-{order.id}@invalid.example"
    order.shipping_address = {"country": country, "anonymised": True}
    record_event(session, order, ERASED, actor=actor)


def _purge_copies(session: Session, email: str, orders: list[Order]) -> None:
    """Copies of the person outside their rows: the payment providers' webhook payloads
    (Stripe's customer_details, PayPal's payer and shipping) and the e-mails to them, sent
    or queued. Stored payloads are sealed, so each is opened and looked at here: erasures
    are rare, and a small shop's logs are short."""
    markers = {email}
    for order in orders:
        markers.add(order.number.lower())
        for payment in session.scalars(select(Payment).where(Payment.order_id == order.id)):
            markers.add(payment.provider_ref.lower())
            if payment.provider_payment_id:
                markers.add(payment.provider_payment_id.lower())
    events = session.scalars(
        select(WebhookEvent).where(WebhookEvent.provider.in_(PAYMENT_PROVIDERS))
    )
    for event in events:
        text = json.dumps(event.payload, ensure_ascii=False).lower()
        if any(marker in text for marker in markers):
            event.payload = {"erased": True, "type": event.event_type}
    mails = session.scalars(select(OutboxEntry).where(OutboxEntry.topic == MAIL_TOPIC))
    for entry in mails:
        if normalise_email(str(entry.payload.get("to", ""))) == email:
            session.delete(entry)  # sent: a copy; queued: not to be sent to them any more


def _invoice(session: Session, order_id: int) -> dict[str, Any] | None:
    """The invoice's figures and its credit notes' (the PDFs are at the order's links)."""
    invoice = invoices.invoice_for(session, order_id)
    if invoice is None:
        return None
    notes = session.execute(
        select(CreditNote).where(CreditNote.invoice_id == invoice.id).order_by(CreditNote.id)
    ).scalars()
    return {**invoice.data, "credit_notes": [note.data for note in notes]}
