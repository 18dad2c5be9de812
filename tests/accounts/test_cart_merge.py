"""The guest cart joins the account's cart at login, through the real login form: nothing the
shopper picked before logging in is lost, and lines for the same variant add up."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.cart.models import Cart
from storefront.container import services
from tests.accounts.conftest import csrf_from
from tests.accounts.test_accounts import login, register

HTML = {"Accept": "text/html"}


def add(client: FlaskClient, product_id: str, variant_key: str, quantity: int) -> None:
    response = client.post(
        "/cart/add",
        data={
            "csrf_token": csrf_from(client, "/cart"),
            "product_id": product_id,
            "variant_key": variant_key,
            "quantity": str(quantity),
        },
        headers=HTML,
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def cart_lines(client: FlaskClient) -> dict[str, int]:
    """Product title -> quantity, as the cart page shows them."""
    page = client.get("/cart", headers=HTML).get_data(as_text=True)
    found = {}
    for title in ("Compost Happens", "Rest In Plastic"):
        match = re.search(
            rf"{title}.*?name=\"quantity\"[^>]*value=\"(\d+)\"", page, flags=re.DOTALL
        )
        if match:
            found[title] = int(match.group(1))
    return found


def test_the_guest_cart_joins_the_accounts_cart_at_login(app: Flask, client: FlaskClient) -> None:
    assert register(client).status_code == 302  # logged in
    add(client, "product-compost-happens", "black-m", 1)

    guest = app.test_client()  # later, on another device, not logged in
    add(guest, "product-rest-in-plastic", "white-m", 2)
    add(guest, "product-compost-happens", "black-m", 2)
    assert cart_lines(guest) == {"Rest In Plastic": 2, "Compost Happens": 2}

    assert login(guest, "ada@example.com", "correct horse battery").status_code == 302
    assert cart_lines(guest) == {"Compost Happens": 3, "Rest In Plastic": 2}
    with services(app).db.session_scope() as session:
        statuses = sorted(session.execute(select(Cart.status)).scalars())
    assert statuses == ["merged", "open"]

    elsewhere = app.test_client()  # the same account on another device sees the same cart
    login(elsewhere, "ada@example.com", "correct horse battery")
    assert cart_lines(elsewhere) == {"Compost Happens": 3, "Rest In Plastic": 2}


def test_a_guest_cart_becomes_the_accounts_when_it_has_none(
    app: Flask, client: FlaskClient
) -> None:
    register(client, email="bo@example.com")
    guest = app.test_client()
    add(guest, "product-rest-in-plastic", "white-m", 1)
    login(guest, "bo@example.com", "correct horse battery")
    elsewhere = app.test_client()
    login(elsewhere, "bo@example.com", "correct horse battery")
    assert cart_lines(elsewhere) == {"Rest In Plastic": 1}
