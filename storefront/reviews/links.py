"""Links in review e-mails: the review form of an order's product, and the signed opt-out."""

from __future__ import annotations

from storefront.signing import make_token
from storefront.urls import absolute_url


def review_url(number: str, product_id: str) -> str:
    return absolute_url("reviews.write", number=number, product_id=product_id)


def optout_url(email: str) -> str:
    """One click, no login: the signed address is the proof (the link never expires)."""
    return absolute_url("reviews.optout", token=make_token("review-optout", email.lower()))
