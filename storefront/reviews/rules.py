"""Who may review what, and what a review must hold: the one place for these rules.

A review is written by the buyer (the account the order belongs to) of a *delivered* order
that contains the product, once per product and order. The form and the API validate with
:class:`ReviewInput`; the refusals are our own errors, so every door answers the same 4xx
with the same words.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from storefront.errors import Conflict, NotFound
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus

MAX_BODY = 2000
MIN_BODY = 3

DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
]


class ReviewInput(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    rating: int = Field(ge=1, le=5, description="Stars, 1 to 5.")
    display_name: DisplayName = Field(description="The name shown with the review.")
    body: str = Field(min_length=MIN_BODY, max_length=MAX_BODY, description="A few lines.")


class ReviewRefused(Exception):
    """Why this person may not review this product of this order."""


def check_may_review(
    order: Order | None, product_id: str, customer_id: int, *, already: bool
) -> Order:
    """The order if ``customer_id`` may review ``product_id`` from it; else a clear 4xx.

    Someone else's order is a 404, as everywhere else: an order number proves nothing.
    """
    if order is None or order.customer_id != customer_id:
        raise NotFound("We could not find that order in your account.")
    if not any(item.product_id == product_id for item in order.items):
        raise NotFound("That shirt is not part of this order.")
    if order.status != OrderStatus.DELIVERED:
        raise Conflict(
            "You can review this shirt once the order has been delivered.", code="not_delivered"
        )
    if already:
        raise Conflict(
            "You have already reviewed this shirt from this order.", code="already_reviewed"
        )
    return order


def rating_label(average: float, count: int) -> str:
    """What a screen reader hears for the stars: "4.5 out of 5, 12 reviews"."""
    noun = "review" if count == 1 else "reviews"
    return f"{average:.1f} out of 5, {count} {noun}".replace(".0 out", " out")
