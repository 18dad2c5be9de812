"""The e-mails a test's shop promised, composed exactly as the mail worker would send them,
so a test reads recipient, subject, amounts and links instead of counting outbox rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import select

from storefront.container import services
from storefront.mail.messages import TOPIC
from storefront.outbox.models import OutboxEntry


@dataclass(frozen=True)
class Mail:
    template: str
    to: str
    subject: str
    text: str
    html: str

    @property
    def links(self) -> list[str]:
        """Every http(s) link in the text part, in order."""
        return re.findall(r"https?://\S+", self.text)


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())  # type: ignore[attr-defined]


def mails(app: Flask, template: str | None = None) -> list[Mail]:
    """Queued e-mails, oldest first (only ``template``'s when given)."""
    found = services(app)
    with found.db.session_scope() as session:
        payloads = [
            e.payload
            for e in session.execute(
                select(OutboxEntry).where(OutboxEntry.topic == TOPIC).order_by(OutboxEntry.id)
            ).scalars()
        ]
    result = []
    for p in payloads:
        if template is not None and p["template"] != template:
            continue
        message = found.composer.compose(p["template"], p["to"], p["context"])
        result.append(
            Mail(
                template=p["template"],
                to=str(message["To"]),
                subject=str(message["Subject"]),
                text=_part(message, "plain"),
                html=_part(message, "html"),
            )
        )
    return result
