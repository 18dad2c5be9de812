"""Reviews in the JSON API: a product's approved reviews (its stars are on the product)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from storefront.container import services
from storefront.errors import NotFound
from storefront.reviews.models import Review
from storefront.reviews.services import APPROVED
from storefront.web.api.framework import Page, PageQuery, paginate, v1


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str = Field(description="The name the buyer chose to show; nothing else.")
    rating: int = Field(ge=1, le=5)
    body: str
    reply: str | None = Field(None, description="The shop's answer, if any.")
    created_at: datetime


@v1.get(
    "/products/<slug>/reviews",
    query=PageQuery,
    response=Page[ReviewOut],
    access="public",
    errors=[404],
    summary="A product's approved reviews from verified buyers, newest first",
    tags=["catalog"],
)
def list_reviews(slug: str, query: PageQuery) -> Page[ReviewOut]:
    view = services().catalog.product(slug)
    if view is None:
        raise NotFound(f"No product {slug!r}.")
    stmt = (
        select(Review)
        .where(Review.product_id == view.id, Review.status == APPROVED)
        .order_by(Review.created_at.desc(), Review.id.desc())
    )
    with services().db.session_scope() as session:
        return paginate(session, stmt, query, ReviewOut)
