"""Deliver queued e-mails (outbox topic ``email``): render, send, settle; retried on failure."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from dataclasses import dataclass

from flask import Flask

from storefront.db import get_db
from storefront.mail.mailer import Mailer, MailError, mailer_from_settings
from storefront.mail.messages import TOPIC, build_message
from storefront.outbox import service as outbox

log = logging.getLogger(__name__)
WORKER_ID = f"mail-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def get_mailer(app: Flask) -> Mailer:
    mailer = app.extensions.get("mailer")
    if mailer is None:
        mailer = app.extensions["mailer"] = mailer_from_settings(app.extensions["settings"])
    return mailer


@dataclass
class MailReport:
    """E-mails due in one pass (``storefront.jobs.outcomes.ItemCounts``)."""

    sent: int = 0
    failed: int = 0  # left in the outbox for a later try

    @property
    def items(self) -> int:
        return self.sent + self.failed


def deliver_due(app: Flask, *, limit: int = 50) -> MailReport:
    """Send what is due."""
    db, mailer = get_db(app), get_mailer(app)
    report = MailReport()
    for entry in outbox.claim(db, TOPIC, WORKER_ID, limit=limit):
        payload = entry.payload
        try:
            message = build_message(app, payload["template"], payload["to"], payload["context"])
            message["Message-ID"] = f"<{entry.key.replace(':', '.')}@storefront>"
            mailer.send(message)
        except (MailError, KeyError, ValueError) as exc:
            report.failed += 1
            log.warning("e-mail %s not sent: %s", entry.key, exc)
            with db.session_scope(write=True) as session:
                outbox.retry_later(session, entry.id, str(exc), attempts=entry.attempts)
            continue
        report.sent += 1
        with db.session_scope(write=True) as session:
            outbox.complete(session, entry.id)
    return report


def kick(app: Flask) -> None:
    """Send queued mail now, off the request thread (the outbox job is the backstop)."""
    if app.extensions.get("mail_kick", "thread") == "off":
        return
    if app.extensions.get("mail_kick") == "sync":
        deliver_due(app)
        return
    threading.Thread(target=_safe_deliver, args=(app,), daemon=True).start()


def _safe_deliver(app: Flask) -> None:
    try:
        deliver_due(app)
    except Exception:
        log.exception("background mail delivery failed; the outbox job will retry")
