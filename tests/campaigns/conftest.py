"""The shop with the demo catalog in a lake and a Mailchimp emulator (its clock ours), and
helpers to publish campaign documents and read back what Mailchimp and the Studio see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask

from emulators.mailchimp import MailchimpEmulator
from storefront.container import campaign_dispatcher, services
from storefront.http_retry import RetryPolicy
from storefront.mailchimp.client import MailchimpProvider
from storefront.newsletter.campaigns.dispatch import Dispatcher, DispatchReport
from tests.support.lake import LakeHandle

KEY, LIST = "campaign-key-us21", "list-campaigns"
SUBSCRIBERS = ["ana@example.com", "ben@example.com", "cleo@example.com"]


class Clock:
    """The emulator's ``now``: real time plus an offset a test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Shop:
    app: Flask
    lake: LakeHandle
    mailchimp: MailchimpEmulator
    clock: Clock
    provider: MailchimpProvider

    def publish(self, doc_id: str = "campaign-december", **fields: Any) -> dict[str, Any]:
        """Create or replace a published campaign; returns it as stored (with its _rev)."""
        doc = {
            "_id": doc_id,
            "_type": "newsletterCampaign",
            "title": "December drop",
            "subject": "Three new ways to be gloomy",
            "preheader": "New designs, bad news, good jokes.",
            "audience": {"kind": "everyone"},
            "sendNow": True,
            "ready": True,
            "body": BODY,
            **fields,
        }
        self.lake.mutate([{"createOrReplace": doc}])
        return self.document(doc_id)

    def patch(self, doc_id: str, **fields: Any) -> dict[str, Any]:
        self.lake.mutate([{"patch": {"id": doc_id, "set": fields}}])
        return self.document(doc_id)

    def document(self, doc_id: str) -> dict[str, Any]:
        assert self.lake.write_client is not None
        found = self.lake.write_client.get_document(doc_id)
        assert found is not None
        return found

    def campaigns(self) -> list[dict[str, Any]]:
        return list(self.mailchimp.campaigns.campaigns.values())

    def run(self, dispatcher: Dispatcher, **kw: Any) -> DispatchReport:
        """One pass of a dispatcher, as the job runs it (inside the app)."""
        with self.app.app_context():
            return dispatcher.run(**kw)

    def dispatcher(self, **overrides: Any) -> Dispatcher:
        found = campaign_dispatcher(services(self.app))
        for name, value in overrides.items():
            setattr(found, name, value)
        return found


BODY: list[dict[str, Any]] = [
    {
        "_type": "block",
        "_key": "b1",
        "style": "h2",
        "markDefs": [],
        "children": [{"_type": "span", "_key": "b1s", "text": "New this month", "marks": []}],
    },
    {
        "_type": "block",
        "_key": "b2",
        "style": "normal",
        "markDefs": [
            {"_type": "link", "_key": "shop", "href": "/products/doom-scroll-detox"},
            {"_type": "link", "_key": "far", "href": "https://example.org/report?x=1"},
        ],
        "children": [
            {"_type": "span", "_key": "s1", "text": "Read ", "marks": []},
            {"_type": "span", "_key": "s2", "text": "the detox", "marks": ["shop"]},
            {"_type": "span", "_key": "s3", "text": " and ", "marks": []},
            {"_type": "span", "_key": "s4", "text": "the report", "marks": ["far"]},
            {"_type": "span", "_key": "s5", "text": " <script>alert(1)</script>", "marks": []},
        ],
    },
    {
        "_type": "productCard",
        "_key": "p1",
        "product": {"_type": "reference", "_ref": "product-compost-happens"},
    },
]


def wire_mailchimp(app: Flask, emulator: MailchimpEmulator) -> MailchimpProvider:
    provider = MailchimpProvider(
        api_key=KEY,
        list_id=LIST,
        base_url="http://mailchimp.test/3.0",
        http=httpx.Client(transport=httpx.WSGITransport(app=emulator)),
        retry=RetryPolicy(attempts=3, base_delay=0.01, sleep=lambda _s: None),
    )
    services(app).mailing_list = provider
    return provider


@pytest.fixture
def shop(app: Flask, lake: LakeHandle) -> Iterator[Shop]:
    clock = Clock()
    emulator = MailchimpEmulator(api_key=KEY, list_id=LIST, clock=clock)
    for email in SUBSCRIBERS:
        emulator.audience.create({"email_address": email, "status": "subscribed"})
    emulator.audience.create({"email_address": "gone@example.com", "status": "unsubscribed"})
    provider = wire_mailchimp(app, emulator)
    yield Shop(app, lake, emulator, clock, provider)
    provider._http.close()
