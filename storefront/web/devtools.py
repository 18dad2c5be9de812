"""Development-only pages: the local mail outbox (never registered in production).

A mail's HTML part is served on its own URL, inside a sandboxed frame with a policy of its
own: e-mail HTML needs inline styles, which the shop's CSP rightly refuses, and it must not
run script or send forms even in development.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.errors import NotFound
from storefront.mail.mailer import LocalOutboxMailer
from storefront.web.auth import access

bp = Blueprint("devtools", __name__, url_prefix="/_dev")

#: The mail frame's policy: inline styles and images as a mail client would show them,
#: nothing that runs, posts or navigates.
MAIL_FRAME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def _outbox() -> LocalOutboxMailer:
    return LocalOutboxMailer(services().settings.mail_outbox_dir)


def _parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def sent_at(msg: EmailMessage, path: Path) -> datetime:
    """When the mail was sent: its Date header, else when the outbox wrote the file."""
    try:
        return parsedate_to_datetime(str(msg["Date"])).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _mail(mail_id: str) -> tuple[EmailMessage, Path]:
    path = _outbox().folder / f"{mail_id}.eml"
    if "/" in mail_id or not path.is_file():
        raise NotFound("No such e-mail in the local outbox.")
    return _parse(path.read_bytes()), path


def _part(msg: EmailMessage, subtype: str) -> str | None:
    body = msg.get_body(preferencelist=(subtype,))
    return str(body.get_content()) if body is not None else None


@bp.get("/mail")
@access("dev")
def mail_index() -> ResponseReturnValue:
    mails = []
    for path in _outbox().messages()[:200]:
        msg = _parse(path.read_bytes())
        mails.append(
            {
                "id": path.stem,
                "subject": msg["Subject"],
                "to": msg["To"],
                "sent": sent_at(msg, path),
            }
        )
    mails.sort(key=lambda m: m["sent"], reverse=True)
    return render_template("dev/mail_index.html", mails=mails)


@bp.get("/mail/<mail_id>")
@access("dev")
def mail_show(mail_id: str) -> ResponseReturnValue:
    msg, path = _mail(mail_id)
    return render_template(
        "dev/mail_show.html",
        msg=msg,
        mail_id=mail_id,
        sent=sent_at(msg, path),
        text=_part(msg, "plain") or "",
        has_html=_part(msg, "html") is not None,
    )


@bp.get("/mail/<mail_id>/html")
@access("dev")
def mail_html(mail_id: str) -> ResponseReturnValue:
    msg, _ = _mail(mail_id)
    html = _part(msg, "html")
    if html is None:
        raise NotFound("This e-mail has no HTML part.")
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
