"""Links to an order page: signed, so a guest's order is never reachable by its number alone."""

from __future__ import annotations

from flask import url_for

from storefront.signing import InvalidToken, make_token, read_token, secrets_match
from storefront.urls import absolute_url


def order_token(number: str) -> str:
    return make_token("order-link", number)


def order_path(number: str) -> str:
    return url_for("orders.order_page", number=number, t=order_token(number))


def order_url(number: str) -> str:
    """Absolute link for e-mails and the success page (needs an app context)."""
    return absolute_url("orders.order_page", number=number, t=order_token(number))


def token_matches(number: str, token: str | None) -> bool:
    if not token:
        return False
    try:
        signed = read_token("order-link", token)
    except InvalidToken:
        return False
    return isinstance(signed, str) and secrets_match(number, signed)
