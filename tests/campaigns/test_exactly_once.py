"""One Mailchimp campaign per document revision, whatever crashes, lost answers and a second
sync process do."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from storefront.db import utcnow
from storefront.mailchimp.campaigns import MailchimpCampaigns
from storefront.newsletter.campaigns import models as m
from sync.runner import run_job
from tests.campaigns.conftest import Shop
from tests.campaigns.test_flow import rows

WAIT = 60  # seconds: only a safety net, the tests synchronise on events


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the job catches it)."""


def test_a_lost_answer_to_create_is_found_by_its_title_not_created_again(shop: Shop) -> None:
    shop.publish()
    # Mailchimp creates the campaign, but the shop sees a 503 (the answer was lost).
    shop.mailchimp.faults.fail_next("POST /3.0/campaigns", after_commit=True)
    result = run_job(shop.app, "campaigns")
    assert result.outcome == "succeeded", result
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "sent"
    assert shop.mailchimp.calls["create_campaign"] == 1
    assert shop.document("campaign-december")["delivery"]["mailchimpId"] == campaign["id"]


def test_a_crash_between_create_and_record_is_recovered_by_the_marker(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.publish()
    real = MailchimpCampaigns.create

    def create_then_die(self: MailchimpCampaigns, **kw: Any) -> Any:
        real(self, **kw)
        raise Crash()

    monkeypatch.setattr(MailchimpCampaigns, "create", create_then_die)
    with pytest.raises(Crash):
        shop.run(shop.dispatcher())
    (row,) = rows(shop)
    assert row.state == m.CLAIMED and row.mailchimp_id is None and row.attempts == 1
    assert len(shop.campaigns()) == 1
    monkeypatch.setattr(MailchimpCampaigns, "create", real)

    # The next process, once the dead one's claim lapsed.
    later = shop.dispatcher(clock=lambda: utcnow() + timedelta(minutes=5), owner="second")
    report = shop.run(later)
    assert report.failed == 0, report.notes
    (campaign,) = shop.campaigns()  # still one: found by its title, not created again
    assert campaign["status"] == "sent"
    assert shop.mailchimp.calls["create_campaign"] == 1
    (row,) = rows(shop)
    assert row.state == m.SENT and row.mailchimp_id == campaign["id"]


def test_a_crash_between_create_and_send_resumes_with_the_same_campaign(shop: Shop) -> None:
    shop.publish()
    shop.mailchimp.faults.fail_next("PUT /3.0/campaigns/*/content", times=3)  # every retry
    first = run_job(shop.app, "campaigns")
    assert first.outcome == "failed"
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "save"
    (row,) = rows(shop)
    assert row.state == m.CREATED and row.claimed_until is None  # free for the next run

    second = run_job(shop.app, "campaigns")
    assert second.outcome == "succeeded", second
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "sent"
    assert shop.mailchimp.calls["create_campaign"] == 1


def test_a_lost_answer_to_send_is_not_sent_twice(shop: Shop) -> None:
    shop.publish()
    shop.mailchimp.faults.fail_next("POST /3.0/campaigns/*/actions/send", after_commit=True)
    result = run_job(shop.app, "campaigns")
    assert result.outcome == "succeeded", result
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "sent"
    assert shop.mailchimp.calls["campaign_action"] == 1
    assert shop.document("campaign-december")["delivery"]["state"] == "sent"


def test_a_crash_after_send_before_record_is_recorded_not_resent(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.publish()
    real = MailchimpCampaigns.send

    def send_then_die(self: MailchimpCampaigns, campaign_id: str) -> None:
        real(self, campaign_id)
        raise Crash()

    monkeypatch.setattr(MailchimpCampaigns, "send", send_then_die)
    with pytest.raises(Crash):
        shop.run(shop.dispatcher())
    monkeypatch.setattr(MailchimpCampaigns, "send", real)
    later = shop.dispatcher(clock=lambda: utcnow() + timedelta(minutes=5), owner="second")
    shop.run(later)
    assert shop.mailchimp.calls["campaign_action"] == 1  # the one send, never a second
    assert shop.document("campaign-december")["delivery"]["state"] == "sent"


def test_two_sync_processes_racing_make_one_campaign(shop: Shop) -> None:
    shop.publish()
    creating, go_on = threading.Event(), threading.Event()

    def hold(environ: dict[str, Any]) -> None:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/3.0/campaigns":
            creating.set()
            assert go_on.wait(WAIT)

    shop.mailchimp.hold = hold
    first = shop.dispatcher(owner="first")
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(report=shop.run(first)))
    thread.start()
    try:
        assert creating.wait(WAIT)  # the first process is inside Mailchimp's create
        second = shop.run(shop.dispatcher(owner="second"))
    finally:
        go_on.set()
        thread.join(WAIT)
    assert second.skipped == 1 and second.changed == 0
    assert any("another process" in note for note in second.notes)
    assert outcome["report"].changed == 1
    (campaign,) = shop.campaigns()
    assert campaign["status"] == "sent"


def test_threads_started_together_make_one_campaign(shop: Shop) -> None:
    shop.publish()
    start = threading.Barrier(4)
    reports: list[Any] = []

    def worker(n: int) -> None:
        dispatcher = shop.dispatcher(owner=f"worker-{n}")
        start.wait(WAIT)
        reports.append(shop.run(dispatcher))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert len(reports) == 4
    assert len(shop.campaigns()) == 1
    assert shop.mailchimp.calls["create_campaign"] == 1
    assert shop.campaigns()[0]["status"] == "sent"
    assert sum(r.failed for r in reports) == 0


def test_an_edit_after_a_crash_that_sent_is_refused_not_sent_again(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.publish()
    real = MailchimpCampaigns.send

    def send_then_die(self: MailchimpCampaigns, campaign_id: str) -> None:
        real(self, campaign_id)
        raise Crash()

    monkeypatch.setattr(MailchimpCampaigns, "send", send_then_die)
    with pytest.raises(Crash):
        shop.run(shop.dispatcher())
    monkeypatch.setattr(MailchimpCampaigns, "send", real)
    shop.patch("campaign-december", subject="Edited while nobody knew it went out")
    later = shop.dispatcher(clock=lambda: utcnow() + timedelta(minutes=5), owner="second")
    report = shop.run(later)
    assert any("went out; this change is refused" in n for n in report.notes), report.notes
    assert shop.mailchimp.calls["create_campaign"] == 1
    assert shop.mailchimp.calls["campaign_action"] == 1
    (first,) = rows(shop)
    assert first.state == m.SENT


def test_an_edit_after_a_crash_before_sending_sends_the_new_revision_once(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.publish()
    real = MailchimpCampaigns.create

    def create_then_die(self: MailchimpCampaigns, **kw: Any) -> Any:
        real(self, **kw)
        raise Crash()

    monkeypatch.setattr(MailchimpCampaigns, "create", create_then_die)
    with pytest.raises(Crash):
        shop.run(shop.dispatcher())
    monkeypatch.setattr(MailchimpCampaigns, "create", real)
    shop.patch("campaign-december", subject="Better subject")
    later = shop.dispatcher(clock=lambda: utcnow() + timedelta(minutes=5), owner="second")
    shop.run(later)
    old, new = rows(shop)
    assert old.state == m.FAILED and old.error == "superseded by a newer revision"
    assert new.state == m.SENT
    statuses = sorted(c["status"] for c in shop.campaigns())
    assert statuses == ["save", "sent"]  # the old one is never sent
    sent = next(c for c in shop.campaigns() if c["status"] == "sent")
    assert sent["settings"]["subject_line"] == "Better subject"
