"""The webhook dedupe log: the first delivery of (provider, event id) wins, the rest are no-ops."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import insert_or_ignore, utcnow
from storefront.inbox.models import WebhookEvent


def record_delivery(
    session: Session, provider: str, event_id: str, event_type: str, payload: dict[str, Any]
) -> bool:
    """Record the event in the caller's transaction; False when it was seen before.

    Call it inside the same transaction that acts on the event: if acting fails, the record
    rolls back too and the provider's retry gets another go.
    """
    return insert_or_ignore(
        session,
        WebhookEvent,
        {
            "provider": provider,
            "event_id": event_id,
            "event_type": event_type,
            "payload": payload,
            "outcome": "received",
            "received_at": utcnow(),
        },
    )


def mark_processed(
    session: Session, provider: str, event_id: str, outcome: str, detail: str | None = None
) -> None:
    event = session.execute(
        select(WebhookEvent).where(
            WebhookEvent.provider == provider, WebhookEvent.event_id == event_id
        )
    ).scalar_one()
    event.outcome = outcome
    event.detail = detail
    event.processed_at = utcnow()
