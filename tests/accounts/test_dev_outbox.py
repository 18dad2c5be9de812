"""The dev outbox (``/_dev/mail``): when each mail was sent, and its HTML part as a mail client
shows it — in a sandboxed frame with a policy of its own, the shop's CSP untouched."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.accounts.test_accounts import register


def test_the_outbox_lists_the_time_and_shows_the_html_part(app: Flask, client: FlaskClient) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    register(client)  # sends the "confirm your address" mail (delivered in the request)
    index = client.get("/_dev/mail").get_data(as_text=True)
    stamp = re.search(
        r'<time datetime="([^"]+)">([0-9: -]+)</time></td><td><a href="([^"]+)">', index
    )
    assert stamp, index
    sent = datetime.fromisoformat(stamp.group(1))
    assert before <= sent <= datetime.now(UTC) + timedelta(seconds=1)
    assert stamp.group(2) == sent.strftime("%Y-%m-%d %H:%M:%S")
    assert "Confirm your e-mail address" in index

    show = client.get(stamp.group(3))
    page = show.get_data(as_text=True)
    assert f"{sent:%Y-%m-%d %H:%M:%S} UTC" in page
    frame = re.search(r'<iframe class="mail-frame" src="([^"]+)" sandbox title="[^"]+"', page)
    assert frame, page
    assert "Confirm your e-mail address with this link" in page  # the text part as well
    assert "unsafe-inline" not in show.headers["Content-Security-Policy"]

    html = client.get(frame.group(1))
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    body = html.get_data(as_text=True)
    assert '<a href="http://127.0.0.1:8000/account/verify/' in body
    assert "Confirm my address</a>" in body
    policy = html.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/_dev/mail/nope/html").status_code == 404
