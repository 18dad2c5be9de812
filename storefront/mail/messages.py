"""Shop e-mails: rendered from Jinja templates (text and HTML) and sent through the outbox.

``queue_email`` writes an outbox entry in the caller's transaction, so an e-mail is promised
exactly when the fact behind it commits; ``deliver`` renders and sends one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from storefront.outbox import services as outbox

TOPIC = "email"

#: template name -> subject line (a Jinja expression over the context)
SUBJECTS = {
    "order_confirmation": "Your order {number} is confirmed",
    "payment_failed": "Your payment for order {number} did not go through",
    "order_shipped": "Your order {number} is on its way",
    "order_refunded": "We refunded {amount} for order {number}",
    "order_cancelled": "Your order {number} is cancelled",
    "newsletter_confirm": "Confirm your newsletter subscription",
    "password_reset": "Reset your password",
    "verify_email": "Confirm your e-mail address",
}


def queue_email(
    session: Session, template: str, to: str, key: str, context: dict[str, Any]
) -> bool:
    """Promise an e-mail; the same ``key`` twice is sent once."""
    if template not in SUBJECTS:
        raise ValueError(f"unknown e-mail template {template!r}")
    return outbox.enqueue(
        session, TOPIC, f"{template}:{key}", {"template": template, "to": to, "context": context}
    )


class Composer:
    """Renders the shop's e-mails from ``<templates>/email/`` (HTML escaped, text as is)."""

    def __init__(
        self,
        templates: Path,
        mail_from: str,
        brand: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """``brand()`` gives the site settings: the sender's name (``emailSenderName``,
        else ``shopName``) replaces the name in ``mail_from``; the address stays."""
        self.mail_from = mail_from
        self.brand = brand
        self._env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(["html"]),
            keep_trailing_newline=True,
            # A block tag alone on its line leaves no line behind, so the text part's blank
            # lines are the ones the template shows.
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def sender(self) -> str:
        name, address = parseaddr(self.mail_from)
        try:
            settings = self.brand() if self.brand else {}
        except Exception:
            settings = {}
        name = str(settings.get("emailSenderName") or settings.get("shopName") or name)
        return formataddr((name, address)) if name else address

    def compose(self, template: str, to: str, context: dict[str, Any]) -> EmailMessage:
        text = self._env.get_template(f"email/{template}.txt").render(**context)
        html = self._env.get_template(f"email/{template}.html").render(**context)
        message = EmailMessage()
        message["Subject"] = SUBJECTS[template].format(**context)
        message["From"] = self.sender()
        message["To"] = to
        message["Date"] = formatdate(usegmt=True)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message
