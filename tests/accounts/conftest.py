import re
from email import message_from_bytes, policy

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.container import services


@pytest.fixture
def app(app: Flask) -> Flask:
    services(app).mail_delivery = "sync"  # deliver queued mail inside the request, for asserts
    return app


def csrf_from(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def outbox_mails(app: Flask) -> list[str]:
    """Subject and plain-text body of every e-mail in the local outbox."""
    folder = services(app).settings.mail_outbox_dir
    if not folder.exists():
        return []
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        out.append(f"Subject: {msg['Subject']}\nTo: {msg['To']}\n\n{body.get_content()}")
    return out
