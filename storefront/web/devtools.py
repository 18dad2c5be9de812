"""Development-only pages: the local mail outbox (never registered in production)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.errors import NotFound
from storefront.mail.mailer import LocalOutboxMailer
from storefront.web.auth import access

bp = Blueprint("devtools", __name__, url_prefix="/_dev")


def _outbox() -> LocalOutboxMailer:
    return LocalOutboxMailer(services().settings.mail_outbox_dir)


def _parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


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
                "date": path.stat().st_mtime,
            }
        )
    return render_template("dev/mail_index.html", mails=mails)


@bp.get("/mail/<mail_id>")
@access("dev")
def mail_show(mail_id: str) -> ResponseReturnValue:
    path = _outbox().folder / f"{mail_id}.eml"
    if "/" in mail_id or not path.is_file():
        raise NotFound("No such e-mail in the local outbox.")
    msg = _parse(path.read_bytes())
    body = msg.get_body(preferencelist=("plain",))
    return render_template("dev/mail_show.html", msg=msg, text=body.get_content() if body else "")
