"""The webhook dedupe log: (provider, event id) is recorded once, with what arrived, and
marking it processed touches that one entry only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from storefront.db import Database
from storefront.inbox.models import WebhookEvent
from storefront.inbox.services import mark_processed, record_delivery


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def rows(db: Database) -> list[tuple[str, str, str, dict, str, str | None, bool, bool]]:  # type: ignore[type-arg]
    with db.session_scope() as session:
        return [
            (
                e.provider,
                e.event_id,
                e.event_type,
                e.payload,
                e.outcome,
                e.detail,
                e.received_at is not None,
                e.processed_at is not None,
            )
            for e in session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars()
        ]


def test_the_first_delivery_wins_per_provider(db: Database) -> None:
    with db.session_scope(write=True) as session:
        assert record_delivery(session, "stripe", "evt_1", "checkout.session.completed", {"a": 1})
        assert not record_delivery(session, "stripe", "evt_1", "checkout.session.completed", {})
        assert record_delivery(session, "paypal", "evt_1", "PAYMENT.CAPTURE.COMPLETED", {"b": 2})
    with db.session_scope(write=True) as session:
        assert not record_delivery(session, "stripe", "evt_1", "other", {"c": 3})
    assert rows(db) == [
        ("stripe", "evt_1", "checkout.session.completed", {"a": 1}, "received", None, True, False),
        ("paypal", "evt_1", "PAYMENT.CAPTURE.COMPLETED", {"b": 2}, "received", None, True, False),
    ]


def test_a_rolled_back_delivery_can_be_retried(db: Database) -> None:
    def act_and_fail() -> None:
        with db.session_scope(write=True) as session:
            assert record_delivery(session, "gelato", "os_1", "order_status_updated", {})
            raise RuntimeError("acting on it failed")

    with pytest.raises(RuntimeError):
        act_and_fail()
    with db.session_scope(write=True) as session:
        assert record_delivery(session, "gelato", "os_1", "order_status_updated", {})


def test_marking_processed_touches_that_entry_only(db: Database) -> None:
    with db.session_scope(write=True) as session:
        record_delivery(session, "stripe", "evt_2", "charge.refunded", {})
        record_delivery(session, "paypal", "evt_2", "PAYMENT.CAPTURE.REFUNDED", {})
    with db.session_scope(write=True) as session:
        mark_processed(session, "stripe", "evt_2", "ignored", "not ours")
    assert rows(db) == [
        ("stripe", "evt_2", "charge.refunded", {}, "ignored", "not ours", True, True),
        ("paypal", "evt_2", "PAYMENT.CAPTURE.REFUNDED", {}, "received", None, True, False),
    ]
    with db.session_scope(write=True) as session:
        mark_processed(session, "paypal", "evt_2", "refunded")
    assert rows(db)[1][4:] == ("refunded", None, True, True)
