"""Secrets in URLs never reach the log: webhook path secrets, link tokens, query tokens."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from storefront import observability
from storefront.app import create_app
from tests.conftest import make_settings

GELATO = "gelato-path-secret-0001"
MAILCHIMP = "mailchimp-path-secret-0002"


def test_no_secret_of_a_url_reaches_any_log_line(tmp_path: Path, sqlite_url: str) -> None:
    log_file = tmp_path / "log.jsonl"
    with observability.log_to_file(log_file, "INFO"):
        app = create_app(
            make_settings(
                database_url=sqlite_url,
                data_dir=tmp_path / "var",
                log_level="INFO",
                gelato_webhook_secret=GELATO,
                mailchimp_webhook_secret=MAILCHIMP,
            )
        )
        client = app.test_client()
        client.post(
            f"/webhooks/gelato/{GELATO}",
            json={"orderReferenceId": "SF-NONE", "event": "something_else"},
            headers={"signature": GELATO},
        )
        client.get(f"/webhooks/mailchimp/{MAILCHIMP}")
        client.get("/account/password-reset/reset-token-0003")
        client.get("/account/verify/verify-token-0004")
        client.get("/newsletter/unsubscribe/unsub-token-0005")
        client.get("/checkout/return/stripe?order=SF-1&t=order-token-0006&session_id=cs_1")
        # Any other line mentioning such a URL (a library's, an error's) is redacted too.
        logging.getLogger("somewhere.else").warning(
            "POST http://shop/webhooks/gelato/%s?token=query-token-0007 failed", GELATO
        )
    text = log_file.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    access = [line for line in lines if line.get("logger") == "storefront.access"]
    assert len(access) == 6
    for secret in (
        GELATO,
        MAILCHIMP,
        "reset-token-0003",
        "verify-token-0004",
        "unsub-token-0005",
        "order-token-0006",
        "query-token-0007",
    ):
        assert secret not in text
    paths = {line["path"] for line in access}
    assert "/webhooks/gelato/[redacted]" in paths
    assert "/webhooks/mailchimp/[redacted]" in paths
    assert "/account/password-reset/[redacted]" in paths
    assert "/checkout/return/stripe" in paths  # the query is not logged at all
    other = next(line for line in lines if line.get("logger") == "somewhere.else")
    assert other["event"] == "POST http://shop/webhooks/gelato/[redacted]?token=[redacted] failed"
