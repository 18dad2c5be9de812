"""The campaign flow end to end: the lake's documents, the shop's job, the Mailchimp
emulator over its HTTP API, the status written back to the document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cms_schema.campaigns import campaign_problems
from storefront.container import services
from storefront.newsletter.campaigns.models import CampaignSend
from sync.runner import run_job
from tests.campaigns.conftest import SUBSCRIBERS, Shop


def rows(shop: Shop) -> list[CampaignSend]:
    with services(shop.app).db.session_scope() as session:
        return list(session.scalars(select(CampaignSend).order_by(CampaignSend.id)))


def test_send_now_goes_out_once_and_the_studio_sees_status_and_report(shop: Shop) -> None:
    published = shop.publish()
    first = run_job(shop.app, "campaigns")
    assert first.outcome == "succeeded", first
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "sent"
    assert campaign["emails_sent"] == len(SUBSCRIBERS)  # subscribed members only
    assert campaign["settings"]["title"].endswith(f"[sf:campaign-december@{published['_rev']}]")
    assert campaign["settings"]["subject_line"] == "Three new ways to be gloomy"
    content = shop.mailchimp.campaigns.contents[campaign["id"]]
    assert "*|UNSUB|*" in content["html"] and "*|UNSUB|*" in content["plain_text"]

    doc = shop.document("campaign-december")
    delivery = doc["delivery"]
    assert delivery["state"] == "sent"
    assert delivery["mailchimpId"] == campaign["id"]
    assert delivery["revision"] == published["_rev"]
    assert doc["_rev"] != published["_rev"]  # our status write is a revision too…
    assert campaign_problems(doc) == []  # …which is not an editor's change

    shop.mailchimp.campaigns.simulate_activity(campaign["id"], opens=2, clicks=1, unsubscribes=1)
    second = run_job(shop.app, "campaigns")
    assert second.outcome == "succeeded"
    assert len(shop.campaigns()) == 1
    report = shop.document("campaign-december")["delivery"]["report"]
    assert report == {"recipients": 3, "opens": 2, "clicks": 1, "unsubscribes": 1}

    rev = shop.document("campaign-december")["_rev"]
    run_job(shop.app, "campaigns")  # nothing changed: nothing written
    assert shop.document("campaign-december")["_rev"] == rev
    assert len(shop.campaigns()) == 1
    assert shop.mailchimp.calls["create_campaign"] == 1


def test_a_send_time_is_scheduled_on_the_quarter_hour_then_followed_to_sent(shop: Shop) -> None:
    at = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=7, second=0, microsecond=0)
    shop.publish(sendNow=False, sendAt=at.isoformat().replace("+00:00", "Z"))
    run_job(shop.app, "campaigns")
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "schedule"
    assert campaign["send_time"] == at.replace(minute=15).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert shop.document("campaign-december")["delivery"]["state"] == "scheduled"

    shop.clock.offset = timedelta(days=3)  # Mailchimp's clock passes the send time
    run_job(shop.app, "campaigns")
    delivery = shop.document("campaign-december")["delivery"]
    assert delivery["state"] == "sent"
    assert delivery["report"]["recipients"] == len(SUBSCRIBERS)
    assert len(shop.campaigns()) == 1


def test_a_tag_audience_goes_to_the_tagged_subscribers(shop: Shop) -> None:
    shop.mailchimp.campaigns.tag("vip", ["ana@example.com", "gone@example.com"])
    shop.publish(audience={"kind": "tag", "tag": "VIP"})
    run_job(shop.app, "campaigns")
    (campaign,) = shop.campaigns()
    assert campaign["recipients"]["segment_opts"] == {"saved_segment_id": 1001}
    assert campaign["emails_sent"] == 1  # the unsubscribed one is not sent to


def test_mailchimp_refusing_fails_the_campaign_with_its_reason_until_a_fix_is_published(
    shop: Shop,
) -> None:
    shop.publish(audience={"kind": "tag", "tag": "nobody-has-this"})
    result = run_job(shop.app, "campaigns")
    assert result.outcome == "failed"
    delivery = shop.document("campaign-december")["delivery"]
    assert delivery["state"] == "failed"
    assert "no tag named 'nobody-has-this'" in delivery["reason"]
    assert shop.campaigns() == []

    again = run_job(shop.app, "campaigns")  # our own status write is not a new revision
    assert again.outcome == "succeeded" and again.counts.skipped == 1
    assert shop.mailchimp.calls["create_campaign"] == 0

    shop.mailchimp.campaigns.tag("nobody-has-this", ["ben@example.com"])
    shop.patch("campaign-december", preheader="Now with a tag that exists.")
    run_job(shop.app, "campaigns")
    assert [c["status"] for c in shop.campaigns()] == ["sent"]
    assert shop.document("campaign-december")["delivery"]["state"] == "sent"


def test_a_change_after_sending_is_refused_and_nothing_is_sent_again(shop: Shop) -> None:
    shop.publish()
    run_job(shop.app, "campaigns")
    changed = shop.patch("campaign-december", subject="Sorry, one more thing")
    (message,) = campaign_problems(changed)  # what the Studio shows, refusing the publish
    assert message.startswith("This campaign was sent (")
    assert "duplicate the campaign" in message

    result = run_job(shop.app, "campaigns")  # and if it got through anyway (the API)
    assert len(shop.campaigns()) == 1
    assert any("changed after it was sent" in note for note in result.notes)
    assert (
        shop.mailchimp.campaigns.campaigns[shop.campaigns()[0]["id"]]["settings"]["subject_line"]
        == "Three new ways to be gloomy"
    )


def test_unapproved_campaigns_are_left_alone(shop: Shop) -> None:
    shop.publish(ready=False)
    result = run_job(shop.app, "campaigns")
    assert result.outcome == "succeeded"
    assert shop.campaigns() == [] and rows(shop) == []


def test_a_dry_run_renders_and_says_what_would_go_to_how_many(shop: Shop) -> None:
    shop.mailchimp.campaigns.tag("vip", ["ana@example.com", "ben@example.com"])
    shop.publish(audience={"kind": "tag", "tag": "vip"})
    result = run_job(shop.app, "campaigns", dry_run=True)
    assert result.outcome == "succeeded"
    (note,) = result.notes
    assert note.startswith(
        "would send 'Three new ways to be gloomy' (campaign-december) to 2 people "
        "(the tag 'vip') now: "
    )
    assert shop.campaigns() == [] and rows(shop) == []
    assert "delivery" not in shop.document("campaign-december")


def test_renaming_a_sent_campaign_is_not_a_change_its_report_keeps_coming(shop: Shop) -> None:
    shop.publish()
    run_job(shop.app, "campaigns")
    renamed = shop.patch("campaign-december", title="December drop (done)")
    assert campaign_problems(renamed) == []  # the title is the editor's label, not content
    (campaign,) = shop.campaigns()
    shop.mailchimp.campaigns.simulate_activity(campaign["id"], opens=1)
    result = run_job(shop.app, "campaigns")
    assert not any("refused" in note for note in result.notes)
    assert shop.document("campaign-december")["delivery"]["report"]["opens"] == 1
    assert len(shop.campaigns()) == 1


def test_approved_without_a_send_time_waits(shop: Shop) -> None:
    shop.publish(sendNow=False)  # the Studio refuses this; the API does not
    result = run_job(shop.app, "campaigns")
    assert any("without a send time" in note for note in result.notes)
    assert shop.campaigns() == []
