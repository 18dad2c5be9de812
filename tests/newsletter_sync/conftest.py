"""The shop with its newsletter provider pointed at a Mailchimp emulator, whose audience
webhooks come back into the shop."""

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask

from emulators.common import wsgi_sender
from emulators.mailchimp import MailchimpEmulator
from storefront.app import create_app
from storefront.container import services
from storefront.mailchimp.client import MailchimpProvider
from tests.conftest import make_settings

KEY, LIST = "abc-us21", "list1"
SECRET = "mc-hook-secret"


@pytest.fixture
def shop(tmp_path, db_url: str) -> Iterator[tuple[Flask, MailchimpEmulator]]:  # type: ignore[no-untyped-def]
    app = create_app(
        make_settings(
            database_url=db_url, data_dir=tmp_path / "var", mailchimp_webhook_secret=SECRET
        )
    )
    emulator = MailchimpEmulator(
        api_key=KEY,
        list_id=LIST,
        webhook_url=f"http://shop/webhooks/mailchimp/{SECRET}",
        webhook_sender=wsgi_sender(app),
    )
    http = httpx.Client(transport=httpx.WSGITransport(app=emulator))
    services(app).mailing_list = MailchimpProvider(
        api_key=KEY, list_id=LIST, base_url="http://mailchimp.test/3.0", http=http
    )
    yield app, emulator
    http.close()
    services(app).db.dispose()
