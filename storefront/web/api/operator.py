"""Operator endpoints of the JSON API: trigger the inventory sync, list subscribers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from storefront.container import services
from storefront.fieldcrypt import email_matches
from storefront.jobs.requests import request_run
from storefront.newsletter.models import Subscriber
from storefront.web.api.framework import Page, PageQuery, page_of, require_user, v1


class SyncTriggered(BaseModel):
    job: str
    status: str = "started"
    message: str


class SubscriberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    email: str
    status: str
    consent_at: datetime | None
    consent_source: str | None


class SubscriberQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description="A whole e-mail address, or a status.")


@v1.post(
    "/operator/inventory-sync",
    response=SyncTriggered,
    status=202,
    access="operator",
    limit="6/minute",
    summary="Ask the sync process to run the inventory reconcile now",
    tags=["operator"],
)
def trigger_inventory_sync() -> SyncTriggered:
    actor = f"operator:{require_user().id}"
    with services().db.session_scope(write=True) as session:
        queued = request_run(session, "inventory", actor=actor)
    message = "Queued" if queued else "Already queued"
    return SyncTriggered(
        job="inventory",
        message=f"{message}: the sync process runs it within seconds; see /admin/jobs.",
    )


@v1.get(
    "/operator/subscribers",
    query=SubscriberQuery,
    response=Page[SubscriberOut],
    access="operator",
    summary="Newsletter subscribers",
    tags=["operator"],
)
def list_subscribers(query: SubscriberQuery) -> Page[SubscriberOut]:
    with services().db.session_scope() as session:
        stmt = select(Subscriber)
        if query.q:
            stmt = stmt.where(
                or_(
                    email_matches(session, Subscriber.email_index, query.q),
                    Subscriber.status == query.q.strip().lower(),
                )
            )
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = (
            session.execute(
                stmt.order_by(Subscriber.id.desc()).limit(query.page_size).offset(query.offset)
            )
            .scalars()
            .all()
        )
        items = [SubscriberOut.model_validate(s) for s in rows]
    return page_of(items, total, query, SubscriberOut)
