"""Reconciling our consent records with the e-mail provider's list.

Order matters: first pull who left at the provider (since the last good run, with overlap),
then push. Pushing uses ``status_if_new`` only, so someone who unsubscribed at the provider
is never re-subscribed by us, even if an old local sign-up says "subscribed". Explicit
local unsubscribes are sent as unsubscribes; erased customers are deleted permanently.

Someone who left and *later* confirmed a new double opt-in on the shop asked to come back:
their confirmation is newer than their leaving. Mailchimp refuses to set them back to
``subscribed``; they are pushed as ``pending`` (``resubscribe``), Mailchimp mails them its
own confirmation, and their click there puts them on the list. A leave newer than the local
confirmation (or one whose time is unknown) always wins.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from storefront.db import Database, utcnow
from storefront.mailchimp.provider import (
    Contact,
    MemberStatus,
    NewsletterError,
    NewsletterProvider,
)
from storefront.newsletter import services
from storefront.newsletter.models import Subscriber
from storefront.newsletter.services import NEWSLETTER_DELETE
from storefront.outbox import services as outbox

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=15)
FIRST_LOOKBACK = timedelta(days=30)
WORKER = f"newsletter-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class NewsletterReport:
    """People looked at, both ways (``storefront.jobs.outcomes.ItemCounts``)."""

    read: int = 0
    changed: int = 0
    skipped: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.read


def reconcile(
    db: Database, provider: NewsletterProvider, *, since: datetime | None, dry_run: bool = False
) -> NewsletterReport:
    report = NewsletterReport()
    _deletions(db, provider, report, dry_run)

    window_start = (since or utcnow() - FIRST_LOOKBACK) - OVERLAP
    left = list(provider.changed_since(window_start))
    report.read += len(left)
    for change in left:
        with db.session_scope(write=True) as session:
            sub = services.find(session, change.email)
            if sub is not None and _came_back(sub, change.changed_at):
                # They confirmed on the shop after leaving: push them as pending (below).
                report.skipped += 1
                sub.provider_status = str(change.status)
                continue
            already = (
                sub is not None
                and sub.status in services.LEFT
                and sub.provider_status == change.status
            )
            if already:
                report.skipped += 1
                continue
            report.changed += 1
            report.notes.append(f"{change.email}: {change.status} at the provider")
            if dry_run:
                session.rollback()
                continue
            services.mark_left_at_provider(session, change.email, str(change.status))

    with db.session_scope() as session:
        to_push = (
            session.execute(
                select(Subscriber).where(
                    Subscriber.status == "subscribed", Subscriber.provider_synced_at.is_(None)
                )
            )
            .scalars()
            .all()
        )
        to_unsubscribe = (
            session.execute(
                select(Subscriber).where(
                    Subscriber.status == "unsubscribed", Subscriber.provider_synced_at.is_(None)
                )
            )
            .scalars()
            .all()
        )
        contacts = [
            Contact(email=s.email, consent_time=s.consent_at)
            for s in to_push
            if s.provider_status != "unsubscribed"
        ]
        returning = [
            Contact(email=s.email, consent_time=s.consent_at)
            for s in to_push
            if s.provider_status == "unsubscribed"
        ]
        leaving = [s.email for s in to_unsubscribe]
    report.read += len(contacts) + len(returning) + len(leaving)
    if dry_run:
        report.notes += [f"would push {c.email}" for c in contacts]
        report.notes += [f"would ask {c.email} to confirm again" for c in returning]
        report.notes += [f"would unsubscribe {e}" for e in leaving]
        report.changed += len(contacts) + len(returning) + len(leaving)
        return report
    for contact in returning:
        try:
            provider.resubscribe(contact)
        except NewsletterError as exc:
            report.failed += 1
            report.notes.append(f"{contact.email}: not re-subscribed ({exc})")
            continue
        with db.session_scope(write=True) as session:
            sub = services.find(session, contact.email)
            if sub is not None:
                sub.provider_synced_at, sub.provider_status = utcnow(), "pending"
                report.changed += 1
        report.notes.append(f"{contact.email}: asked by the provider to confirm again")
    if contacts:
        result = provider.upsert_members(contacts)
        failed = {e.email.lower(): e.message for e in result.errors}
        report.failed += len(failed)
        report.notes += [f"{email}: {message}" for email, message in failed.items()]
        pushed = [c.email for c in contacts if c.email.lower() not in failed]
        with db.session_scope(write=True) as session:
            for email in pushed:
                sub = services.find(session, email)
                if sub is not None:
                    sub.provider_synced_at = utcnow()
                    report.changed += 1
        _follow_provider_verdicts(provider, pushed, db, report)
    for email in leaving:
        try:
            provider.unsubscribe(email)
        except NewsletterError as exc:
            report.failed += 1
            report.notes.append(f"{email}: unsubscribe not sent ({exc})")
            continue
        with db.session_scope(write=True) as session:
            sub = services.find(session, email)
            if sub is not None:
                sub.provider_synced_at, sub.provider_status = utcnow(), "unsubscribed"
                report.changed += 1
    return report


def _came_back(sub: Subscriber, left_at: datetime | None) -> bool:
    """Subscribed here with a confirmation newer than their leaving at the provider (by a
    whole second: the provider's times have no fractions, and a tie must not re-subscribe).
    Both times carry their zone: the database reads UTC (``UTCDateTime``) and the client
    keeps the provider's offset, so they compare as instants."""
    if sub.status != "subscribed" or sub.consent_at is None or left_at is None:
        return False
    return sub.consent_at >= left_at + timedelta(seconds=1)


def _follow_provider_verdicts(
    provider: NewsletterProvider, emails: list[str], db: Database, report: NewsletterReport
) -> None:
    """After a push, an existing member keeps the provider's status: record it if they left."""
    for email in emails:
        try:
            member = provider.get_member(email)
        except NewsletterError:
            continue
        if member is not None and member.status in (
            MemberStatus.UNSUBSCRIBED,
            MemberStatus.CLEANED,
            MemberStatus.ARCHIVED,
        ):
            with db.session_scope(write=True) as session:
                services.mark_left_at_provider(session, email, str(member.status))
            report.notes.append(f"{email}: stays {member.status} (left at the provider)")


def _deletions(
    db: Database, provider: NewsletterProvider, report: NewsletterReport, dry_run: bool
) -> None:
    if dry_run:
        return
    with outbox.claimed(db, NEWSLETTER_DELETE, WORKER, limit=100) as entries:
        for entry in entries:
            report.read += 1
            try:
                provider.delete_permanently(entry.payload["email"])
            except NewsletterError as exc:
                report.failed += 1
                with db.session_scope(write=True) as session:
                    outbox.retry_later(session, entry.id, str(exc), attempts=entry.attempts)
                continue
            with db.session_scope(write=True) as session:
                outbox.complete(session, entry.id, forget_payload=True)  # erased: no copy
            report.changed += 1
