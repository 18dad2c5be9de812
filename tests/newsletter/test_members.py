"""Upserts keep Mailchimp's status rules: nobody who left is ever re-subscribed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storefront.mailchimp.client import (
    MailchimpProvider,
    base_url_for_key,
    subscriber_hash,
)
from storefront.mailchimp.provider import (
    ComplianceRejected,
    Contact,
    MemberStatus,
    NewsletterAuthError,
    NewsletterProvider,
    PermanentlyDeleted,
)
from tests.newsletter.conftest import make_provider

CONSENT = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)


def test_the_provider_implements_the_port(provider) -> None:
    assert isinstance(provider, NewsletterProvider)


def test_subscriber_hash_is_md5_of_trimmed_lowercase() -> None:
    assert subscriber_hash("  Wednesday@Example.COM ") == subscriber_hash("wednesday@example.com")
    # The example from Mailchimp's own documentation.
    assert subscriber_hash("Urist.McVankab@freddiesjokes.com") == "62eeb292278cc15f5817cb78f7790b08"


def test_data_centre_comes_from_the_key_suffix() -> None:
    assert base_url_for_key("abc-us21") == "https://us21.api.mailchimp.com/3.0"
    with pytest.raises(ValueError, match="data centre"):
        base_url_for_key("nosuffix")


def test_concurrency_cannot_exceed_mailchimps_limit() -> None:
    with pytest.raises(ValueError, match=r"1\.\.10"):
        MailchimpProvider(api_key="k-us1", list_id="l", max_concurrency=11)


def test_new_member_is_subscribed_with_fields_and_consent(provider, emulator) -> None:
    result = provider.upsert_members(
        [Contact("Wednesday@Example.com", {"FNAME": "Wednesday"}, CONSENT)]
    )
    assert result.created == ("wednesday@example.com",)
    assert result.ok
    member = provider.get_member("wednesday@example.com")
    assert member is not None
    assert member.status is MemberStatus.SUBSCRIBED
    assert member.merge_fields["FNAME"] == "Wednesday"
    stored = emulator.audience.get("wednesday@example.com")
    assert stored["timestamp_opt"] == "2026-10-31T23:59:00+00:00"


def test_unsubscribed_member_stays_unsubscribed_but_fields_update(provider, emulator) -> None:
    provider.upsert_members([Contact("pugsley@example.com", {"FNAME": "Pug"})])
    emulator.unsubscribe_member("pugsley@example.com", reason="too dark")
    result = provider.upsert_members([Contact("pugsley@example.com", {"FNAME": "Pugsley"})])
    assert result.updated == ("pugsley@example.com",)
    assert result.created == ()
    member = provider.get_member("pugsley@example.com")
    assert member.status is MemberStatus.UNSUBSCRIBED
    assert member.merge_fields["FNAME"] == "Pugsley"


def test_single_upsert_never_sends_status(provider, emulator) -> None:
    provider.upsert_member(Contact("lurch@example.com"))
    emulator.clean_member("lurch@example.com")
    state = provider.upsert_member(Contact("lurch@example.com", {"FNAME": "Lurch"}))
    assert state.status is MemberStatus.CLEANED


def test_batch_reports_row_errors_and_keeps_going(provider, emulator) -> None:
    provider.upsert_members([Contact("gone@example.com")])
    provider.delete_permanently("gone@example.com")
    emulator.throttle("busy@example.com")
    result = provider.upsert_members(
        [
            Contact("ok@example.com"),
            Contact("not-an-email"),
            Contact("gone@example.com"),
            Contact("busy@example.com"),
        ]
    )
    assert result.created == ("ok@example.com",)
    errors = {e.email: e.message for e in result.errors}
    assert set(errors) == {"not-an-email", "gone@example.com", "busy@example.com"}
    assert "permanently deleted and cannot be re-imported" in errors["gone@example.com"]
    assert "signed up to a lot of lists" in errors["busy@example.com"]


def test_batches_hold_at_most_500_members(provider, emulator) -> None:
    result = provider.upsert_members(Contact(f"fan{n}@example.com") for n in range(1201))
    assert len(result.created) == 1201
    assert emulator.calls["batch"] == 3


def test_duplicate_addresses_in_one_call_are_sent_once(provider, emulator) -> None:
    result = provider.upsert_members([Contact("a@example.com"), Contact(" A@example.com ")])
    assert result.created == ("a@example.com",)
    assert emulator.calls["batch"] == 1


def test_unsubscribe_records_the_choice_even_for_unknown_people(provider) -> None:
    provider.unsubscribe("stranger@example.com")
    assert provider.get_member("stranger@example.com").status is MemberStatus.UNSUBSCRIBED
    provider.upsert_members([Contact("stranger@example.com")])
    assert provider.get_member("stranger@example.com").status is MemberStatus.UNSUBSCRIBED


def test_get_member_unknown_is_none(provider) -> None:
    assert provider.get_member("nobody@example.com") is None


def test_delete_permanently_then_reimport_is_refused(provider) -> None:
    provider.upsert_member(Contact("gomez@example.com"))
    provider.delete_permanently("gomez@example.com")
    assert provider.get_member("gomez@example.com") is None
    with pytest.raises(PermanentlyDeleted) as caught:
        provider.upsert_member(Contact("gomez@example.com"))
    assert caught.value.status_code == 400
    assert "cannot be re-imported" in caught.value.message
    assert caught.value.request_id
    provider.delete_permanently("gomez@example.com")  # already gone: no error


def test_compliance_throttle_is_a_permanent_error(provider, emulator, sleeps) -> None:
    emulator.throttle("eager@example.com")
    with pytest.raises(ComplianceRejected, match="signed up to a lot of lists"):
        provider.upsert_member(Contact("eager@example.com"))
    assert emulator.calls["put_member"] == 1
    assert sleeps == []


def test_wrong_key_is_an_auth_error(emulator, sleeps) -> None:
    wrong = make_provider(emulator, sleeps, key="nope-us21")
    with pytest.raises(NewsletterAuthError, match="API Key Invalid"):
        wrong.get_member("a@example.com")


def test_why_the_batch_never_uses_update_existing(emulator) -> None:
    """With ``update_existing: true`` Mailchimp applies the row's status to existing members,
    re-subscribing people who left: the emulator reproduces it, the provider avoids it."""
    import httpx

    from tests.newsletter.conftest import API_KEY, LIST_ID

    emulator.audience.upsert(
        subscriber_hash("left@example.com"),
        {"email_address": "left@example.com", "status_if_new": "unsubscribed"},
    )
    with httpx.Client(transport=httpx.WSGITransport(app=emulator)) as http:
        body = {"members": [{"email_address": "left@example.com", "status": "subscribed"}]}
        kept = http.post(
            f"http://m/3.0/lists/{LIST_ID}",
            json={**body, "update_existing": False},
            auth=("x", API_KEY),
        ).json()
        assert kept["errors"][0]["error_code"] == "ERROR_CONTACT_EXISTS"
        assert emulator.audience.get("left@example.com")["status"] == "unsubscribed"
        forced = http.post(
            f"http://m/3.0/lists/{LIST_ID}",
            json={**body, "update_existing": True},
            auth=("x", API_KEY),
        ).json()
    assert forced["total_updated"] == 1
    assert emulator.audience.get("left@example.com")["status"] == "subscribed"


def test_from_settings_uses_the_emulator_base_in_development() -> None:
    from storefront.config import Settings

    settings = Settings(base_url="http://127.0.0.1:5000")
    provider = MailchimpProvider.from_settings(settings)
    assert provider._base == "http://127.0.0.1:5000/_emulators/mailchimp/3.0"
    provider.close()


def test_emails_with_different_case_reach_the_same_member(provider) -> None:
    provider.upsert_member(Contact("Thing@Example.com"))
    assert provider.get_member("  thing@EXAMPLE.com").email == "thing@example.com"
