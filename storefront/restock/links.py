"""Links in back-in-stock e-mails: confirm the request, and the product in that size."""

from __future__ import annotations

from storefront.signing import make_token
from storefront.urls import absolute_url


def confirm_url(request_id: int) -> str:
    return absolute_url("restock.confirm", token=make_token("restock-confirm", request_id))


def product_url(slug: str, variant_key: str) -> str:
    return absolute_url("catalog.product", slug=slug, variant=variant_key)
