"""Campaign documents → Mailchimp campaigns, exactly once per document revision.

For each published campaign document that is approved (``ready``):

1. **Claim** — insert the ``campaign_sends`` row for (document id, ``_rev``) before any call
   to Mailchimp. The unique pair is the claim: a second sync process (or thread) that loses
   the insert leaves the document alone while the claim lasts (``lease``). A claim whose
   holder crashed lapses and is taken over by a compare-and-set on ``claim_token``.
2. **Create** — ``POST /campaigns`` once, never retried, with ``settings.title`` ending in
   ``[sf:<id>@<rev>]``. If that call fails in a way that may have created it (a timeout, a
   5xx), or a previous holder crashed after trying (``attempts`` > 0), the campaign is first
   looked up by that title; only when none exists is it created. The id is recorded at once.
3. **Content, then schedule or send** — after reading the campaign's status: one already
   ``schedule``/``sending``/``sent`` (a crash after the action) is only recorded;
   otherwise the content is set (a ``PUT``, safe to repeat) and the campaign is scheduled
   for ``sendAt`` (rounded up to the quarter hour) or sent now.
4. **Status back to the document** — ``delivery`` (state, reason, Mailchimp id, revision,
   fingerprint, times, report) is patched with ``ifRevisionID``; the revision that patch
   produced is stored, so the job knows its own writes from an editor's.

Which row a document revision belongs to: the row of that ``_rev``; else (our status
writes moved ``_rev``) the row whose fingerprint — of the content fields, see
``cms_schema.campaigns`` — matches, when it went out; a failed row only by its revision or
the revision our failure note produced. A revision whose content differs from a campaign
that went out is **refused** (the Studio refuses to publish it too): nothing is sent again.

A Mailchimp refusal (4xx) fails the row with Mailchimp's reason, written to the document;
the editor fixes the campaign and publishes, which is a new revision. A transient failure
(timeout, 5xx, circuit open) leaves the row where it got to and frees the claim: the next
run resumes it. Reports (recipients, opens, clicks, unsubscribes) are refreshed for
:data:`REPORT_DAYS` after sending and written back only when they changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from storefront.db import Database, rows_matched, utcnow
from storefront.mailchimp.campaigns import GONE_OUT as MAILCHIMP_GONE_OUT
from storefront.mailchimp.campaigns import MailchimpCampaigns
from storefront.mailchimp.provider import (
    NewsletterAuthError,
    NewsletterPermanentError,
    NewsletterTransientError,
)
from storefront.newsletter.campaigns import models as m
from storefront.newsletter.campaigns.document import DUE, ONE, CampaignDoc
from storefront.newsletter.campaigns.models import CampaignSend
from storefront.newsletter.campaigns.render import RenderedEmail
from storefront.sanity.client import SanityClient
from storefront.sanity.errors import ContentError

REPORT_DAYS = 30
#: How far back to look for a campaign by its title (Mailchimp's ``since_create_time``).
LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Sender:
    from_name: str
    reply_to: str


@dataclass
class DispatchReport:
    """The job's tally: campaigns looked at, sent/scheduled/updated, left alone, failed."""

    items: int = 0
    failed: int = 0
    changed: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


class Busy(Exception):
    """Another process holds this campaign's claim."""


class AlreadyDone(Exception):
    """A test was asked for a revision that was already sent, scheduled or failed."""


class LostClaim(Exception):
    """Our claim lapsed and another process took it over: stop touching the row."""


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sanity: SanityClient,
        mailchimp: MailchimpCampaigns,
        render: Callable[[CampaignDoc], RenderedEmail],
        sender: Sender,
        *,
        lease: timedelta = timedelta(seconds=45),
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.db, self.sanity, self.mailchimp = db, sanity, mailchimp
        self.render, self.sender, self.lease, self.clock = render, sender, lease, clock
        self.owner = owner or str(uuid.uuid4())

    # --- the job -------------------------------------------------------------------------
    def run(self, *, dry_run: bool = False) -> DispatchReport:
        report = DispatchReport()
        docs = self.sanity.query(DUE, perspective="published", use_cdn=False) or []
        for raw in docs:
            report.items += 1
            doc = CampaignDoc.from_document(raw)
            try:
                self._one(doc, report, dry_run=dry_run)
            except (NewsletterTransientError, NewsletterAuthError) as exc:
                report.failed += 1
                report.notes.append(f"{doc.id}: Mailchimp: {exc}; next run")
            except (ContentError, LostClaim) as exc:
                report.failed += 1
                report.notes.append(f"{doc.id}: {exc}; next run")
        return report

    def _one(self, doc: CampaignDoc, report: DispatchReport, *, dry_run: bool) -> None:
        rows = self._rows(doc.id)
        row = _matching(rows, doc)
        if row is not None and row.state in m.GONE_OUT:
            if not dry_run and self._refresh(row, doc):
                report.changed += 1
            else:
                report.skipped += 1
            return
        if row is not None and row.state == m.FAILED:
            report.skipped += 1
            report.notes.append(f"{doc.id}: failed earlier ({row.error}); publish a fix to retry")
            return
        if row is None and any(r.state in m.GONE_OUT for r in rows):
            report.skipped += 1
            report.notes.append(
                f"{doc.id}: changed after it was sent or scheduled; refused, nothing sent again"
            )
            return
        if not doc.ready:
            report.skipped += 1
            return
        if not doc.send_now and doc.send_at is None:
            report.skipped += 1
            report.notes.append(f"{doc.id}: approved without a send time or 'send now'; left")
            return
        if dry_run:
            self._describe(doc, report)
            return
        if row is None and any(r.state in m.IN_PROGRESS for r in rows):
            if not self._settle_earlier(rows):
                report.skipped += 1
                report.notes.append(f"{doc.id}: an earlier revision is being sent; next run")
                return
            if any(r.state in m.GONE_OUT for r in self._rows(doc.id)):
                report.skipped += 1
                report.notes.append(
                    f"{doc.id}: an earlier revision went out; this change is refused"
                )
                return
        try:
            claimed = self._claim(doc, row)
        except Busy:
            report.skipped += 1
            report.notes.append(f"{doc.id}: another process is sending it")
            return
        try:
            self._deliver(claimed, doc, report)
        finally:
            self._release(claimed.id)

    def _describe(self, doc: CampaignDoc, report: DispatchReport) -> None:
        email = self.render(doc)
        size = self.mailchimp.audience_size(doc.audience)
        when = doc.send_time(self.clock())
        at = f"at {when:%Y-%m-%d %H:%M} UTC" if when else "now"
        report.changed += 1
        report.notes.append(
            f"would send {doc.subject!r} ({doc.id}) to {size} people "
            f"({doc.audience.describe()}) {at}: {len(email.html)} bytes of HTML, "
            f"{len(email.text)} of text"
        )

    def _settle_earlier(self, rows: list[CampaignSend]) -> bool:
        """Before a new revision is sent: find out what became of earlier unfinished ones
        (a crash may have sent one). Those that went out are recorded; the others are
        failed as superseded. False when another process is still working on one."""
        for old in rows:
            if old.state not in m.IN_PROGRESS:
                continue
            try:
                row = self._claim_row(old)
            except Busy:
                return False
            try:
                remote = None
                if row.mailchimp_id:
                    remote = self.mailchimp.get(row.mailchimp_id)
                elif row.attempts:
                    remote = self.mailchimp.find_by_title(
                        row.title, since=row.created_at - LOOKBACK
                    )
                    if remote is not None:
                        self._update(row.id, mailchimp_id=remote.id, state=m.CREATED)
                if remote is not None and remote.status in MAILCHIMP_GONE_OUT:
                    self._went_out(
                        row, m.SENT, remote.send_time or self.clock(), remote.emails_sent
                    )
                elif remote is not None and remote.status == "schedule":
                    self._went_out(row, m.SCHEDULED, remote.send_time, None)
                else:
                    self._update(row.id, state=m.FAILED, error="superseded by a newer revision")
            finally:
                self._release(row.id)
        return True

    # --- the steps -----------------------------------------------------------------------
    def _deliver(self, row: CampaignSend, doc: CampaignDoc, report: DispatchReport) -> None:
        try:
            campaign_id = self._ensure_campaign(row, doc)
            remote = self.mailchimp.get(campaign_id)
            if remote.status in MAILCHIMP_GONE_OUT:
                self._went_out(row, m.SENT, remote.send_time or self.clock(), remote.emails_sent)
            elif remote.status == "schedule":
                self._went_out(row, m.SCHEDULED, remote.send_time, None)
            else:
                email = self.render(doc)
                self.mailchimp.set_content(campaign_id, html=email.html, plain_text=email.text)
                when = doc.send_time(self.clock())
                try:
                    if when is None:
                        self.mailchimp.send(campaign_id)
                    else:
                        self.mailchimp.schedule(campaign_id, when)
                except NewsletterAuthError:
                    raise
                except (NewsletterTransientError, NewsletterPermanentError):
                    # The answer may be lost, or someone else acted first: Mailchimp's
                    # status decides, never a second send.
                    if self.mailchimp.get(campaign_id).status == "save":
                        raise
                after = self.mailchimp.get(campaign_id)
                if after.status in MAILCHIMP_GONE_OUT:
                    self._went_out(row, m.SENT, after.send_time or self.clock(), after.emails_sent)
                elif after.status == "schedule":
                    self._went_out(row, m.SCHEDULED, after.send_time or when, None)
                else:
                    raise NewsletterTransientError(
                        f"campaign {campaign_id} is {after.status!r} after the send"
                    )
        except NewsletterAuthError:
            raise
        except NewsletterPermanentError as exc:
            self._fail(row, doc, exc.message)
            report.failed += 1
            report.notes.append(f"{doc.id}: Mailchimp refused: {exc.message}")
            return
        fresh = self._row(row.id)
        report.changed += 1
        verb = "sent" if fresh.state == m.SENT else "scheduled"
        report.notes.append(f"{doc.id}: {verb} as Mailchimp campaign {fresh.mailchimp_id}")
        self._write_status(fresh, doc)

    def _ensure_campaign(self, row: CampaignSend, doc: CampaignDoc) -> str:
        if row.mailchimp_id:
            return row.mailchimp_id
        since = row.created_at - LOOKBACK
        found = self.mailchimp.find_by_title(row.title, since=since) if row.attempts else None
        if found is None:
            self._update(row.id, attempts=row.attempts + 1)
            try:
                found = self.mailchimp.create(
                    title=row.title,
                    subject=doc.subject,
                    preview_text=doc.preheader,
                    from_name=self.sender.from_name,
                    reply_to=self.sender.reply_to,
                    audience=doc.audience,
                )
            except NewsletterTransientError:
                # It may exist all the same (the answer was lost): look before anything else.
                found = self.mailchimp.find_by_title(row.title, since=since)
                if found is None:
                    raise
        self._update(row.id, mailchimp_id=found.id, state=m.CREATED)
        return found.id

    def prepare_test(self, doc: CampaignDoc, emails: Sequence[str]) -> str:
        """Send a test of this revision to ``emails`` (``/actions/test``); the campaign is the
        one the real send of this revision will use, so a test never adds a second one."""
        row = _matching(self._rows(doc.id), doc)
        if row is not None and row.state not in m.IN_PROGRESS:
            raise AlreadyDone(f"this revision is {row.state} already; tests are for what is next")
        claimed = self._claim(doc, row, purpose="test" if doc.id.startswith("drafts.") else "send")
        try:
            campaign_id = self._ensure_campaign(claimed, doc)
            remote = self.mailchimp.get(campaign_id)
            if remote.status in ("save", "paused"):
                email = self.render(doc)
                self.mailchimp.set_content(campaign_id, html=email.html, plain_text=email.text)
            self.mailchimp.send_test(campaign_id, emails)
            return campaign_id
        finally:
            self._release(claimed.id)

    # --- status and reports --------------------------------------------------------------
    def _refresh(self, row: CampaignSend, doc: CampaignDoc) -> bool:
        """Follow a scheduled campaign to sent, refresh the report; True when written."""
        now = self.clock()
        if row.mailchimp_id is None:
            return False
        if row.state == m.SCHEDULED:
            remote = self.mailchimp.get(row.mailchimp_id)
            if remote.status in MAILCHIMP_GONE_OUT:
                self._set(
                    row.id,
                    state=m.SENT,
                    sent_at=remote.send_time or now,
                    recipients=remote.emails_sent,
                )
            elif remote.status != "schedule":
                self._set(
                    row.id, state=m.FAILED, error=f"unscheduled in Mailchimp ({remote.status})"
                )
        row = self._row(row.id)
        if row.state == m.SENT and row.sent_at and now - row.sent_at < timedelta(days=REPORT_DAYS):
            try:
                numbers = self.mailchimp.report(row.mailchimp_id or "")
            except NewsletterPermanentError:
                numbers = None  # not ready yet
            if numbers is not None and numbers.as_dict() != (row.report or {}):
                self._set(row.id, report=numbers.as_dict(), recipients=numbers.recipients)
                row = self._row(row.id)
        if _delivery(row) == _comparable(doc.delivery):
            return False
        return self._write_status(row, doc)

    def _write_status(self, row: CampaignSend, doc: CampaignDoc) -> bool:
        """Patch ``delivery`` on the document (only if nobody changed it since we read it)."""
        patch = {
            "patch": {
                "id": doc.id,
                "ifRevisionID": doc.rev,
                "set": {"delivery": {**_delivery(row), "checkedAt": _iso(self.clock())}},
            }
        }
        try:
            result = self.sanity.mutate([patch], return_documents=True)
        except ContentError as exc:
            # A conflict: the editor changed it meanwhile; the next run writes it again.
            self._set(row.id, error=f"status not written to the document: {exc}"[:2000])
            return False
        written = next(
            (r.get("document") for r in result.get("results") or [] if r.get("document")), None
        )
        if isinstance(written, dict) and written.get("_rev"):
            self._set(row.id, written_rev=str(written["_rev"]))
        return True

    def _fail(self, row: CampaignSend, doc: CampaignDoc, reason: str) -> None:
        self._update(row.id, state=m.FAILED, error=reason[:2000])
        self._write_status(self._row(row.id), doc)

    def _went_out(
        self, row: CampaignSend, state: str, when: datetime | None, recipients: int | None
    ) -> None:
        values: dict[str, Any] = {"state": state, "recipients": recipients, "error": None}
        values["sent_at" if state == m.SENT else "scheduled_for"] = when
        self._update(row.id, **values)

    # --- the table -----------------------------------------------------------------------
    def _rows(self, document_id: str) -> list[CampaignSend]:
        with self.db.session_scope() as session:
            return list(
                session.scalars(
                    select(CampaignSend)
                    .where(CampaignSend.document_id == document_id)
                    .order_by(CampaignSend.id)
                )
            )

    def _row(self, row_id: int) -> CampaignSend:
        with self.db.session_scope() as session:
            return session.get_one(CampaignSend, row_id)

    def _claim(
        self, doc: CampaignDoc, row: CampaignSend | None, *, purpose: str = "send"
    ) -> CampaignSend:
        now = self.clock()
        until = now + self.lease
        if row is None:
            try:
                with self.db.session_scope(write=True) as session:
                    fresh = CampaignSend(
                        document_id=doc.id,
                        document_rev=doc.rev,
                        fingerprint=doc.fingerprint,
                        purpose=purpose,
                        state=m.CLAIMED,
                        title=doc.marked_title(),
                        claim_token=self.owner,
                        claimed_until=until,
                    )
                    session.add(fresh)
                    session.flush()
                    return fresh
            except IntegrityError:
                row = next((r for r in self._rows(doc.id) if r.document_rev == doc.rev), None)
                if row is None:
                    raise Busy() from None
        return self._claim_row(row, purpose=purpose)

    def _claim_row(self, row: CampaignSend, *, purpose: str | None = None) -> CampaignSend:
        """Take over an unfinished row whose claim is free or lapsed (compare-and-set)."""
        now = self.clock()
        values: dict[str, Any] = {"claim_token": self.owner, "claimed_until": now + self.lease}
        if purpose is not None:
            values["purpose"] = purpose
        with self.db.session_scope(write=True) as session:
            taken = rows_matched(
                session,
                update(CampaignSend)
                .where(
                    CampaignSend.id == row.id,
                    CampaignSend.state.in_(m.IN_PROGRESS),
                    or_(
                        CampaignSend.claimed_until.is_(None),
                        CampaignSend.claimed_until < now,
                        CampaignSend.claim_token == self.owner,
                    ),
                )
                .values(**values),
            )
        if not taken:
            raise Busy()
        return self._row(row.id)

    def _release(self, row_id: int) -> None:
        with self.db.session_scope(write=True) as session:
            session.execute(
                update(CampaignSend)
                .where(CampaignSend.id == row_id, CampaignSend.claim_token == self.owner)
                .values(claimed_until=None)
            )

    def _update(self, row_id: int, **values: Any) -> None:
        """Write to a row we hold; :class:`LostClaim` when another process took it over."""
        with self.db.session_scope(write=True) as session:
            done = rows_matched(
                session,
                update(CampaignSend)
                .where(CampaignSend.id == row_id, CampaignSend.claim_token == self.owner)
                .values(**values, updated_at=utcnow()),
            )
        if not done:
            raise LostClaim(f"campaign send {row_id} was taken over by another process")

    def _set(self, row_id: int, **values: Any) -> None:
        """Write what is true whoever holds the row (a status read back, a report)."""
        with self.db.session_scope(write=True) as session:
            session.execute(
                update(CampaignSend)
                .where(CampaignSend.id == row_id)
                .values(**values, updated_at=utcnow())
            )


def _matching(rows: list[CampaignSend], doc: CampaignDoc) -> CampaignSend | None:
    """The row this revision belongs to (see the module docstring)."""
    for row in rows:
        if doc.rev in (row.document_rev, row.written_rev):
            return row
    for row in rows:
        if row.state in m.GONE_OUT and row.fingerprint == doc.fingerprint:
            return row
    return None


def _delivery(row: CampaignSend) -> dict[str, Any]:
    value: dict[str, Any] = {
        "state": row.state,
        "reason": row.error if row.state == m.FAILED else None,
        "mailchimpId": row.mailchimp_id,
        "revision": row.document_rev,
        "fingerprint": row.fingerprint,
        "scheduledFor": _iso(row.scheduled_for),
        "sentAt": _iso(row.sent_at),
        "report": row.report,
    }
    return {k: v for k, v in value.items() if v is not None}


def _comparable(delivery: Any) -> dict[str, Any]:
    if not isinstance(delivery, dict):
        return {}
    return {k: v for k, v in delivery.items() if k != "checkedAt" and v is not None}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def load_campaign(sanity: SanityClient, document_id: str, *, drafts: bool) -> CampaignDoc | None:
    """One campaign document (with ``drafts``: the draft when there is one)."""
    raw = sanity.query(
        ONE, {"id": document_id}, perspective="drafts" if drafts else "published", use_cdn=False
    )
    if not isinstance(raw, dict) or raw.get("_type") != "newsletterCampaign":
        return None
    return CampaignDoc.from_document(raw)
