"""Saved addresses: countries by name, and editing — validated, CSRF-protected, owner only."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.accounts.models import Address
from storefront.container import services
from tests.accounts.conftest import csrf_from
from tests.accounts.test_accounts import register

BERLIN = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "line1": "Kastanienallee 1",
    "city": "Berlin",
    "post_code": "10435",
    "country": "Germany",  # a name, as a person types it without the list
}


def _saved(app: Flask) -> list[Address]:
    with services(app).db.session_scope() as session:
        return list(session.execute(select(Address).order_by(Address.id)).scalars())


def _add(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client, "/account/addresses")
    return client.post("/account/addresses", data={"csrf_token": token, **BERLIN, **fields})


def test_the_country_is_a_list_of_names_and_a_typed_name_is_stored_as_its_code(
    app: Flask, client: FlaskClient
) -> None:
    register(client)
    page = client.get("/account/addresses").get_data(as_text=True)
    assert '<select id="f-country" name="country" autocomplete="country">' in page
    assert '<option value="DE" selected>Germany</option>' in page
    assert '<option value="GB">United Kingdom</option>' in page
    assert _add(client).status_code == 303
    [saved] = _saved(app)
    assert saved.country == "DE"
    listing = client.get("/account/addresses").get_data(as_text=True)
    assert "10435 Berlin<br>Germany</address>" in listing


def test_the_owner_edits_an_address_with_the_same_rules_as_adding_one(
    app: Flask, client: FlaskClient
) -> None:
    register(client)
    _add(client)
    [saved] = _saved(app)
    path = f"/account/addresses/{saved.id}/edit"
    listing = client.get("/account/addresses").get_data(as_text=True)
    assert f'href="{path}"' in listing
    form = client.get(path).get_data(as_text=True)
    assert 'value="Kastanienallee 1"' in form
    assert '<option value="DE" selected>Germany</option>' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]

    bad = client.post(
        path, data={"csrf_token": token, **BERLIN, "line1": "", "city": "c" * 31, "state": ""}
    )
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert '<p class="error" id="f-line1-error">Address is required.</p>' in body
    assert 'aria-describedby="f-line1-error"' in body
    assert "City can be at most 30 characters (yours has 31)" in body
    assert _saved(app)[0].line1 == "Kastanienallee 1"  # nothing half-saved

    us = client.post(
        path, data={"csrf_token": token, **BERLIN, "country": "United States", "state": ""}
    )
    assert us.status_code == 422
    assert "State / province is required for addresses in the United States." in us.get_data(
        as_text=True
    )

    good = client.post(
        path,
        data={"csrf_token": token, **BERLIN, "line1": "Oranienstraße 5", "country": "AT"},
    )
    assert good.status_code == 303
    [edited] = _saved(app)
    assert (edited.id, edited.line1, edited.country) == (saved.id, "Oranienstraße 5", "AT")
    assert "Address updated." in client.get("/account/addresses").get_data(as_text=True)


def test_editing_needs_the_csrf_token_and_the_owner(app: Flask, client: FlaskClient) -> None:
    register(client)
    _add(client)
    [saved] = _saved(app)
    path = f"/account/addresses/{saved.id}/edit"
    forged = client.post(path, data={**BERLIN, "line1": "Forged 1"})
    assert forged.status_code in (400, 403)
    stranger = app.test_client()
    register(stranger, email="eve@example.com")
    token = csrf_from(stranger, "/account/addresses")
    assert stranger.get(path).status_code == 404
    taken = stranger.post(path, data={"csrf_token": token, **BERLIN, "line1": "Eve's 1"})
    assert taken.status_code == 404
    assert app.test_client().get(path).status_code in (302, 303)  # not logged in: to login
    assert _saved(app)[0].line1 == "Kastanienallee 1"
