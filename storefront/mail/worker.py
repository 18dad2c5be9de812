"""Deliver queued e-mails (outbox topic ``email``): render, send, settle; retried on failure."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from storefront.db import Database
from storefront.mail.mailer import Mailer, MailError
from storefront.mail.messages import TOPIC, Composer
from storefront.outbox import services as outbox

log = logging.getLogger(__name__)
WORKER_ID = f"mail-{os.getpid()}-{uuid.uuid4().hex[:6]}"


#: When a request that queued mail hands it over: a background thread (the default), inside
#: the request (tests that read the mail), or not at all (the outbox job sends it).
Delivery = Literal["thread", "sync", "off"]


@dataclass
class MailReport:
    """E-mails due in one pass (``storefront.jobs.outcomes.ItemCounts``)."""

    sent: int = 0
    failed: int = 0  # left in the outbox for a later try

    @property
    def items(self) -> int:
        return self.sent + self.failed


@dataclass
class Postman:
    """Everything that sends the queued mail."""

    db: Database
    mailer: Mailer
    composer: Composer
    delivery: Delivery = "thread"


def deliver_due(
    postman: Postman, *, limit: int = 50, lease: timedelta = outbox.DEFAULT_LEASE
) -> MailReport:
    """Send what is due."""
    db = postman.db
    report = MailReport()
    with outbox.claimed(db, TOPIC, WORKER_ID, limit=limit, lease=lease) as entries:
        for entry in entries:
            _deliver(postman, entry, report)
    return report


def _deliver(postman: Postman, entry: outbox.Claimed, report: MailReport) -> None:
    db, payload = postman.db, entry.payload
    try:
        message = postman.composer.compose(payload["template"], payload["to"], payload["context"])
        message["Message-ID"] = f"<{entry.key.replace(':', '.')}@storefront>"
        postman.mailer.send(message)
    except (MailError, KeyError, ValueError) as exc:
        report.failed += 1
        log.warning("e-mail %s not sent: %s", entry.key, exc)
        with db.session_scope(write=True) as session:
            outbox.retry_later(session, entry.id, str(exc), attempts=entry.attempts)
        return
    report.sent += 1
    with db.session_scope(write=True) as session:
        outbox.complete(session, entry.id)


def kick(postman: Postman) -> None:
    """Send queued mail now, off the request thread (the outbox job is the backstop)."""
    if postman.delivery == "off":
        return
    if postman.delivery == "sync":
        deliver_due(postman)
        return
    threading.Thread(target=_safe_deliver, args=(postman,), daemon=True).start()


def _safe_deliver(postman: Postman) -> None:
    try:
        deliver_due(postman)
    except Exception:
        log.exception("background mail delivery failed; the outbox job will retry")
