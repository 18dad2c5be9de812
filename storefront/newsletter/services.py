"""Newsletter consent: double opt-in sign-up, confirmation, unsubscribe — our record of truth.

Statuses: ``pending`` (asked, not confirmed), ``subscribed`` (confirmed, with consent time
and source), ``unsubscribed`` and ``cleaned`` (left or bounced: never re-subscribed by a
sync, only by the person's own new confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.fieldcrypt import email_matches, normalise_email
from storefront.mail.messages import queue_email
from storefront.newsletter.models import Subscriber

#: Outbox topic: delete a person from the mailing list at the provider (erasure).
NEWSLETTER_DELETE = "newsletter.delete"

LEFT = frozenset({"unsubscribed", "cleaned"})


def normalise(email: str) -> str:
    return normalise_email(email)


@dataclass(frozen=True)
class SignupResult:
    status: str
    email_sent: bool


def find(session: Session, email: str) -> Subscriber | None:
    return session.execute(
        select(Subscriber).where(email_matches(session, Subscriber.email_index, email))
    ).scalar_one_or_none()


def sign_up(session: Session, email: str, *, source: str, confirm_link: str) -> SignupResult:
    """Ask for confirmation (double opt-in). Already subscribed: nothing to do."""
    email = normalise(email)
    sub = find(session, email)
    if sub is not None and sub.status == "subscribed":
        return SignupResult("subscribed", email_sent=False)
    if sub is None:
        sub = Subscriber(email=email, status="pending")
        session.add(sub)
    elif sub.status in LEFT:
        sub.status = "pending"  # they asked again; only their confirmation re-subscribes
    sub.consent_source = source
    session.flush()
    stamp = int(utcnow().timestamp()) // 600  # at most one confirmation mail per 10 minutes
    queue_email(session, "newsletter_confirm", email, f"{sub.id}:{stamp}", {"link": confirm_link})
    return SignupResult("pending", email_sent=True)


def confirm(session: Session, email: str) -> Subscriber | None:
    sub = find(session, email)
    if sub is None:
        return None
    if sub.status != "subscribed":
        sub.status = "subscribed"
        sub.confirmed_at = sub.consent_at = utcnow()
        sub.unsubscribed_at = None
        sub.provider_synced_at = None  # push it on the next sync
    return sub


def unsubscribe(session: Session, email: str, *, reason: str = "unsubscribe link") -> bool:
    sub = find(session, email)
    if sub is None or sub.status in LEFT:
        return False
    sub.status = "unsubscribed"
    sub.unsubscribed_at = utcnow()
    sub.provider_synced_at = None
    return True


def mark_left_at_provider(session: Session, email: str, status: str) -> bool:
    """The provider says they left (unsubscribed/cleaned/archived): we follow, never back."""
    sub = find(session, email)
    if sub is None:
        sub = Subscriber(email=normalise(email), status="unsubscribed")
        session.add(sub)
    if sub.status in LEFT and sub.provider_status == status:
        return False
    sub.status = "cleaned" if status == "cleaned" else "unsubscribed"
    sub.provider_status = status
    sub.unsubscribed_at = sub.unsubscribed_at or utcnow()
    sub.provider_synced_at = utcnow()
    return True
