"""Operator endpoints for discount codes: create, list, pause and resume."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from storefront.container import services
from storefront.discounts import services as discounts
from storefront.discounts.schemas import DiscountIn
from storefront.errors import Conflict, NotFound
from storefront.web.api.framework import Page, PageQuery, page_of, require_user, v1


class DiscountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    kind: str
    percent: int | None
    amounts: dict[str, int]
    min_subtotal: dict[str, int]
    collections: list[str]
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    max_uses_per_customer: int | None
    uses: int
    paused: bool
    created_at: datetime


class DiscountState(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    paused: bool


@v1.get(
    "/operator/discounts",
    query=PageQuery,
    response=Page[DiscountOut],
    access="operator",
    summary="Discount codes, newest first",
    tags=["operator"],
)
def list_discounts(query: PageQuery) -> Page[DiscountOut]:
    with services().db.session_scope() as session:
        total = discounts.count(session)
        rows = discounts.listing(session, limit=query.page_size, offset=query.offset)
        items = [DiscountOut.model_validate(r) for r in rows]
    return page_of(items, total, query, DiscountOut)


@v1.post(
    "/operator/discounts",
    body=DiscountIn,
    response=DiscountOut,
    status=201,
    access="operator",
    errors=[409],
    summary="Create a discount code (percent, fixed per currency, or free shipping)",
    tags=["operator"],
)
def create_discount(body: DiscountIn) -> DiscountOut:
    actor = f"operator:{require_user().id}"
    with services().db.session_scope(write=True) as session:
        try:
            created = discounts.create(session, body, actor=actor)
        except discounts.DuplicateCode as exc:
            raise Conflict(str(exc), code="duplicate_code") from exc
        return DiscountOut.model_validate(created)


@v1.post(
    "/operator/discounts/<code>",
    body=DiscountState,
    response=DiscountOut,
    access="operator",
    errors=[404],
    summary="Pause or resume a discount code",
    tags=["operator"],
)
def set_discount_state(code: str, body: DiscountState) -> DiscountOut:
    require_user()
    with services().db.session_scope(write=True) as session:
        found = discounts.set_paused(session, code, body.paused)
        if found is None:
            raise NotFound("No such discount code.")
        return DiscountOut.model_validate(found)
