"""Sending e-mail: SMTP in production, a local outbox folder on the embedded default.

The local outbox writes each message as an ``.eml`` file under ``DATA_DIR/mail`` (readable
at ``/_dev/mail`` while not in production). Nothing ever leaves the machine unless
``SMTP_URL`` is set.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from email.utils import getaddresses, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from storefront.config import Settings


class MailError(Exception):
    """Sending failed; the outbox retries it later."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str: ...

    def forget(self, address: str) -> int:
        """Remove the copies kept of messages to ``address`` (an erasure); how many."""
        ...


class LocalOutboxMailer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        message_id = message["Message-ID"] or make_msgid(domain="storefront.local")
        if not message["Message-ID"]:
            message["Message-ID"] = message_id
        safe = "".join(c for c in message_id if c.isalnum() or c in "-._")[:80]
        path = self.folder / f"{safe}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        tmp.replace(path)
        return message_id

    def forget(self, address: str) -> int:
        """The local outbox is the only place sent mail is kept: delete what went to them."""
        wanted = address.strip().lower()
        removed = 0
        for path in self.messages():
            with path.open("rb") as handle:
                message = BytesParser(policy=default).parse(handle, headersonly=True)
            recipients = getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
            if any(addr.strip().lower() == wanted for _, addr in recipients):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def messages(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)


class SmtpMailer:
    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 587)
        self.implicit_tls = parts.scheme == "smtps"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> str:
        if not message["Message-ID"]:
            message["Message-ID"] = make_msgid()
        try:
            if self.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if not self.implicit_tls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP delivery to {self.host}:{self.port} failed: {exc}") from exc
        message_id: str = message["Message-ID"]
        return message_id

    def forget(self, address: str) -> int:
        """Mail handed to an SMTP server has left the shop: no copy is kept here."""
        return 0


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url)
    return LocalOutboxMailer(settings.mail_outbox_dir)
