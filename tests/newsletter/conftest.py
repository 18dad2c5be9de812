"""Fixtures: the Mailchimp emulator and the real provider wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from emulators.mailchimp import MailchimpEmulator
from storefront.http_retry import RetryPolicy
from storefront.mailchimp.client import MailchimpProvider
from tests.support.clocks import Instant

API_KEY = "0123456789abcdef-us21"
LIST_ID = "a1b2c3d4e5"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def clock() -> Instant:
    """A controllable ``now`` for ``last_changed``."""
    return Instant(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def emulator(clock: Instant) -> MailchimpEmulator:
    return MailchimpEmulator(api_key=API_KEY, list_id=LIST_ID, clock=clock)


def make_provider(app, sleeps: Sleeps, *, key: str = API_KEY, **kwargs) -> MailchimpProvider:
    return MailchimpProvider(
        api_key=key,
        list_id=LIST_ID,
        base_url="http://mailchimp.test/3.0",
        http=httpx.Client(transport=httpx.WSGITransport(app=app)),
        retry=RetryPolicy(attempts=3, base_delay=0.05, sleep=sleeps),
        **kwargs,
    )


@pytest.fixture
def provider(emulator: MailchimpEmulator, sleeps: Sleeps) -> Iterator[MailchimpProvider]:
    mailchimp = make_provider(emulator, sleeps)
    yield mailchimp
    mailchimp._http.close()
