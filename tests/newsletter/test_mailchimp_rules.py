"""The Mailchimp emulator keeps Mailchimp's rules the shop depends on: someone who unsubscribed
themselves is not set back to subscribed (only ``pending`` and their own click bring them
back), and the audience id in the URL must be the audience's (a wrong MAILCHIMP_LIST_ID is a
404 here as in production)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulators.mailchimp import MailchimpEmulator
from emulators.mailchimp.members import subscriber_hash
from storefront.mailchimp.client import MailchimpProvider
from storefront.mailchimp.provider import (
    ComplianceRejected,
    Contact,
    MemberStatus,
    NewsletterPermanentError,
)
from tests.newsletter.conftest import API_KEY, LIST_ID, Sleeps, make_provider

EMAIL = "raven@example.com"
MEMBER = f"/3.0/lists/{LIST_ID}/members/{subscriber_hash(EMAIL)}"


@pytest.fixture
def api(emulator: MailchimpEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=emulator), base_url="http://m", auth=("x", API_KEY)
    ) as client:
        yield client


def put(api: httpx.Client, status: str) -> httpx.Response:
    return api.put(MEMBER, json={"email_address": EMAIL, "status": status, "status_if_new": status})


def test_a_self_unsubscribed_member_is_in_compliance_state(
    api: httpx.Client, emulator: MailchimpEmulator
) -> None:
    assert put(api, "subscribed").status_code == 200
    emulator.unsubscribe_member(EMAIL)  # the link in a campaign
    refused = put(api, "subscribed")
    assert refused.status_code == 400
    assert refused.json()["title"] == "Member In Compliance State"
    assert refused.headers["content-type"] == "application/problem+json"
    assert emulator.audience.get(EMAIL)["status"] == "unsubscribed"
    pending = put(api, "pending")
    assert pending.status_code == 200 and pending.json()["status"] == "pending"
    assert emulator.audience.confirmations_sent == [EMAIL]
    emulator.confirm_member(EMAIL)  # their click in Mailchimp's opt-in e-mail
    assert api.get(MEMBER).json()["status"] == "subscribed"


def test_the_provider_reports_compliance_and_resubscribes_through_pending(
    emulator: MailchimpEmulator, sleeps: Sleeps
) -> None:
    provider = make_provider(emulator, sleeps)
    provider.upsert_member(Contact(EMAIL))
    emulator.unsubscribe_member(EMAIL)
    with pytest.raises(ComplianceRejected):
        provider._request(  # what a naive "set them subscribed" would get
            "PUT", f"/lists/{LIST_ID}/members/{subscriber_hash(EMAIL)}",
            json={"email_address": EMAIL, "status": "subscribed"},
        )  # fmt: skip
    assert provider.resubscribe(Contact(EMAIL)).status is MemberStatus.PENDING


def test_a_cleaned_address_cannot_come_back_even_as_pending(
    api: httpx.Client, emulator: MailchimpEmulator
) -> None:
    put(api, "subscribed")
    emulator.clean_member(EMAIL)
    for status in ("subscribed", "pending"):
        assert put(api, status).json()["title"] == "Member In Compliance State"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/members"),
        ("POST", "/members"),
        ("POST", ""),
        ("GET", f"/members/{subscriber_hash(EMAIL)}"),
        ("PUT", f"/members/{subscriber_hash(EMAIL)}"),
        ("PATCH", f"/members/{subscriber_hash(EMAIL)}"),
        ("DELETE", f"/members/{subscriber_hash(EMAIL)}"),
        ("POST", f"/members/{subscriber_hash(EMAIL)}/actions/delete-permanent"),
    ],
)
def test_a_wrong_audience_id_is_not_found(
    api: httpx.Client, emulator: MailchimpEmulator, method: str, path: str
) -> None:
    put(api, "subscribed")
    body = {"email_address": EMAIL, "status": "subscribed", "members": []}
    wrong = api.request(method, f"/3.0/lists/not-{LIST_ID}{path}", json=body)
    assert wrong.status_code == 404
    assert wrong.json()["title"] == "Resource Not Found"
    assert emulator.audience.get(EMAIL)["status"] == "subscribed"  # nothing changed


def test_the_shop_fails_loudly_with_a_wrong_list_id(
    emulator: MailchimpEmulator, sleeps: Sleeps
) -> None:
    provider = MailchimpProvider(
        api_key=API_KEY,
        list_id="typo-list",
        base_url="http://mailchimp.test/3.0",
        http=httpx.Client(transport=httpx.WSGITransport(app=emulator)),
    )
    with pytest.raises(NewsletterPermanentError) as caught:
        provider.upsert_members([Contact(EMAIL)])
    assert caught.value.status_code == 404
    assert "Resource Not Found" in str(caught.value)
    assert emulator.audience.members == {}
