"""The Mailchimp emulator's campaign rules, through our client (the wire shapes both sides
must agree on): quarter hours, the past, sending twice, content after sending, the
unsubscribe merge tag, reports, tests and its fault injection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from emulators.mailchimp import MailchimpEmulator
from storefront.http_retry import RetryPolicy
from storefront.mailchimp.campaigns import Audience, MailchimpCampaigns, UnknownTag
from storefront.mailchimp.client import MailchimpProvider
from storefront.mailchimp.provider import NewsletterPermanentError, NewsletterTransientError

KEY, LIST = "k-us21", "l1"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HTML = "<p>Hi</p><a href='*|UNSUB|*'>Unsubscribe</a>"


@pytest.fixture
def emulator() -> MailchimpEmulator:
    emulator = MailchimpEmulator(api_key=KEY, list_id=LIST, clock=lambda: NOW)
    for email in ("a@example.com", "b@example.com"):
        emulator.audience.create({"email_address": email, "status": "subscribed"})
    return emulator


@pytest.fixture
def api(emulator: MailchimpEmulator) -> Iterator[MailchimpCampaigns]:
    http = httpx.Client(transport=httpx.WSGITransport(app=emulator))
    provider = MailchimpProvider(
        api_key=KEY,
        list_id=LIST,
        base_url="http://mc.test/3.0",
        http=http,
        retry=RetryPolicy(attempts=2, base_delay=0.01, sleep=lambda _s: None),
    )
    yield MailchimpCampaigns(provider)
    http.close()


def create(api: MailchimpCampaigns, audience: Audience | None = None) -> str:
    return api.create(
        title="t [sf:x@1]",
        subject="Subject",
        preview_text="Pre",
        from_name="Grim Cotton",
        reply_to="shop@example.com",
        audience=audience or Audience(),
    ).id


def test_a_campaign_is_created_in_save_and_found_by_its_title(api: MailchimpCampaigns) -> None:
    campaign_id = create(api)
    got = api.get(campaign_id)
    assert got.status == "save" and got.title == "t [sf:x@1]"
    assert api.find_by_title("t [sf:x@1]") == got
    assert api.find_by_title("t [sf:x@2]") is None
    assert api.find_by_title("t [sf:x@1]", since=NOW + timedelta(minutes=1)) is None


def test_scheduling_needs_the_future_and_a_quarter_hour(api: MailchimpCampaigns) -> None:
    campaign_id = create(api)
    api.set_content(campaign_id, html=HTML, plain_text="Hi *|UNSUB|*")
    with pytest.raises(NewsletterPermanentError, match="quarter hour") as odd:
        api.schedule(campaign_id, NOW + timedelta(hours=1, minutes=10))
    assert odd.value.status_code == 400
    with pytest.raises(NewsletterPermanentError, match="future"):
        api.schedule(campaign_id, NOW - timedelta(minutes=15))
    api.schedule(campaign_id, NOW + timedelta(hours=1, minutes=15))
    assert api.get(campaign_id).status == "schedule"
    with pytest.raises(NewsletterPermanentError, match="already scheduled"):
        api.send(campaign_id)


def test_sending_twice_and_changing_a_sent_campaign_are_refused(api: MailchimpCampaigns) -> None:
    campaign_id = create(api)
    api.set_content(campaign_id, html=HTML, plain_text="Hi *|UNSUB|*")
    api.send(campaign_id)
    assert api.get(campaign_id).status == "sent"
    with pytest.raises(NewsletterPermanentError, match="already been sent"):
        api.send(campaign_id)
    with pytest.raises(NewsletterPermanentError, match="can no longer change"):
        api.set_content(campaign_id, html=HTML, plain_text="changed")
    report = api.report(campaign_id)
    assert report.recipients == 2 and report.opens == 0


def test_no_unsubscribe_tag_no_send(api: MailchimpCampaigns) -> None:
    campaign_id = create(api)
    api.set_content(campaign_id, html="<p>no way out</p>", plain_text="none")
    with pytest.raises(NewsletterPermanentError, match="not ready to send"):
        api.send(campaign_id)


def test_no_report_before_it_went_out(api: MailchimpCampaigns) -> None:
    campaign_id = create(api)
    with pytest.raises(NewsletterPermanentError) as missing:
        api.report(campaign_id)
    assert missing.value.status_code == 404


def test_tests_go_to_the_named_addresses(
    api: MailchimpCampaigns, emulator: MailchimpEmulator
) -> None:
    campaign_id = create(api)
    api.set_content(campaign_id, html=HTML, plain_text="Hi *|UNSUB|*")
    api.send_test(campaign_id, ["editor@example.com", "boss@example.com"])
    assert emulator.campaigns.tests_sent == [
        (campaign_id, "editor@example.com", "html"),
        (campaign_id, "boss@example.com", "html"),
    ]
    assert api.get(campaign_id).status == "save"  # a test sends nothing to the list


def test_tags_are_static_segments_and_count_subscribed_members(
    api: MailchimpCampaigns, emulator: MailchimpEmulator
) -> None:
    emulator.campaigns.tag("vip", ["a@example.com"])
    assert api.audience_size(Audience()) == 2
    assert api.audience_size(Audience(kind="tag", tag="VIP")) == 1
    with pytest.raises(UnknownTag, match="no tag named 'nope'"):
        api.audience_size(Audience(kind="tag", tag="nope"))
    with pytest.raises(NewsletterPermanentError) as missing:
        api.audience_size(Audience(kind="segment", segment_id=999))
    assert missing.value.status_code == 404


def test_create_is_never_retried_by_the_client(
    api: MailchimpCampaigns, emulator: MailchimpEmulator
) -> None:
    emulator.faults.fail_next("POST /3.0/campaigns", after_commit=True)
    with pytest.raises(NewsletterTransientError):
        create(api)
    assert emulator.calls["create_campaign"] == 1  # sent once: the caller looks it up
    assert len(emulator.campaigns.campaigns) == 1
