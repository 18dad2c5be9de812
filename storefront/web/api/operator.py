"""Operator endpoints of the JSON API: trigger the inventory sync, list subscribers."""

from __future__ import annotations

import threading
from datetime import datetime

from flask import Flask, current_app
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from storefront.db import get_db
from storefront.newsletter.models import Subscriber
from storefront.web.api.framework import Page, PageQuery, page_of, v1


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
    q: str | None = Field(None, max_length=100, description="Part of an e-mail, or a status.")


def _run_in_background(app: Flask, job_id: str) -> None:
    from sync.runner import run_job

    threading.Thread(
        target=run_job, args=(app, job_id), kwargs={"trigger": "cli"}, daemon=True
    ).start()


@v1.post(
    "/operator/inventory-sync",
    response=SyncTriggered,
    status=202,
    access="operator",
    limit="6/minute",
    summary="Run the inventory reconcile now (in the background)",
    tags=["operator"],
)
def trigger_inventory_sync() -> SyncTriggered:
    _run_in_background(current_app._get_current_object(), "inventory")  # type: ignore[attr-defined]
    return SyncTriggered(job="inventory", message="Started; see /admin/jobs for the result.")


@v1.get(
    "/operator/subscribers",
    query=SubscriberQuery,
    response=Page[SubscriberOut],
    access="operator",
    summary="Newsletter subscribers",
    tags=["operator"],
)
def list_subscribers(query: SubscriberQuery) -> Page[SubscriberOut]:
    stmt = select(Subscriber)
    if query.q:
        like = f"%{query.q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Subscriber.email).like(like), Subscriber.status == query.q.lower())
        )
    with get_db(current_app).session_scope() as session:
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
