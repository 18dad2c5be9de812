"""A stand-in for Sentry's ingest per test, and the error reporting switched off after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sentry_sdk

from tests.fulfillment_flow.conftest import printshop
from tests.support.sentry_ingest import SentryIngest

__all__ = ["printshop"]  # a shop with the Gelato emulator on a live port, for parked entries


@pytest.fixture
def ingest() -> Iterator[SentryIngest]:
    with SentryIngest() as server:
        yield server
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
