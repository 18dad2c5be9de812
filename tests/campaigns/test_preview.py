"""The editor's side: the Studio's "Open preview" on a campaign, the signed preview of the
e-mail (the draft when there is one), and "send a test" through Mailchimp's /actions/test."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask.testing import FlaskClient

from sync.runner import run_job
from tests.api.conftest import csrf_token, log_in, make_account
from tests.campaigns.conftest import Shop


def operator_client(shop: Shop) -> FlaskClient:
    client = shop.app.test_client()
    log_in(client, make_account(shop.app, "editor@grimcotton.example", role="operator"))
    return client


def signed_link(client: FlaskClient, doc_id: str) -> str:
    response = client.get(f"/campaigns/preview/request?doc={doc_id}")
    assert response.status_code == 303, response.get_data(as_text=True)
    path = urlsplit(response.headers["Location"]).path
    assert path.startswith("/campaigns/preview/")
    return path


def test_the_studio_link_needs_an_operator_and_signs_a_preview(shop: Shop) -> None:
    shop.publish()
    anonymous = shop.app.test_client().get("/campaigns/preview/request?doc=campaign-december")
    assert anonymous.status_code in (302, 303)
    assert urlsplit(anonymous.headers["Location"]).path == "/login"  # back here after it

    link = signed_link(operator_client(shop), "drafts.campaign-december")
    page = shop.app.test_client().get(link)  # the signed link works without a login
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Three new ways to be gloomy" in text
    assert "Unsubscribe: *|UNSUB|*" in text  # the text part is shown
    assert "Send a test" not in text  # only operators send tests

    email = shop.app.test_client().get(link + "/email.html")
    assert email.status_code == 200
    assert "style-src 'unsafe-inline'" in email.headers["Content-Security-Policy"]
    assert "script-src" not in email.headers["Content-Security-Policy"]
    assert "utm_campaign=december-drop" in email.get_data(as_text=True)

    bad = shop.app.test_client().get("/campaigns/preview/not-a-token")
    assert bad.status_code == 404
    assert "Open the preview again" in bad.get_data(as_text=True)


def test_the_preview_shows_the_draft_and_what_stops_publishing(shop: Shop) -> None:
    shop.publish()
    shop.lake.mutate(
        [
            {
                "createOrReplace": {
                    **shop.document("campaign-december"),
                    "_id": "drafts.campaign-december",
                    "subject": "A draft subject",
                    "sendNow": False,
                    "sendAt": "2030-01-01T09:10:00Z",
                }
            }
        ]
    )
    client = operator_client(shop)
    page = client.get(signed_link(client, "campaign-december")).get_data(as_text=True)
    assert "A draft subject" in page
    assert "Mailchimp sends on the quarter hour" in page


def test_a_test_of_the_published_revision_is_the_campaign_the_job_then_sends(shop: Shop) -> None:
    shop.publish()
    client = operator_client(shop)
    link = signed_link(client, "campaign-december")
    token = csrf_token(client)
    refused = client.post(
        link + "/test",
        data={"addresses": "editor@example.com, not-an-address", "csrf_token": token},
    )
    assert refused.status_code == 400
    assert "not an address: not-an-address" in refused.get_data(as_text=True)
    assert shop.campaigns() == []

    sent = client.post(
        link + "/test",
        data={"addresses": "editor@example.com boss@example.com", "csrf_token": token},
    )
    assert sent.status_code == 303
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "save"
    assert [t[1] for t in shop.mailchimp.campaigns.tests_sent] == [
        "editor@example.com",
        "boss@example.com",
    ]
    assert "Test sent to editor@example.com, boss@example.com." in client.get(link).get_data(
        as_text=True
    )

    run_job(shop.app, "campaigns")
    (campaign,) = shop.campaigns()  # the same campaign, now sent: still one for the revision
    assert campaign["status"] == "sent"

    again = client.post(
        link + "/test", data={"addresses": "editor@example.com", "csrf_token": token}
    )
    assert again.status_code == 400
    assert "this revision is sent already" in again.get_data(as_text=True)
    assert len(shop.mailchimp.campaigns.tests_sent) == 2


def test_a_test_without_a_login_is_refused(shop: Shop) -> None:
    shop.publish()
    link = signed_link(operator_client(shop), "campaign-december")
    response = shop.app.test_client().post(
        link + "/test",
        data={"addresses": "x@example.com"},
        headers={"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 401
    assert shop.campaigns() == []
