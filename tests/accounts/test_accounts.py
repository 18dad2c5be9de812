import re

from flask import Flask
from flask.testing import FlaskClient

from storefront.accounts.models import Customer
from storefront.container import services
from storefront.orders.models import Order
from tests.accounts.conftest import csrf_from, outbox_mails


def register(
    client: FlaskClient, email: str = "ada@example.com", password: str = "correct horse battery"
):  # type: ignore[no-untyped-def]
    token = csrf_from(client, "/register")
    return client.post(
        "/register", data={"csrf_token": token, "email": email, "password": password, "name": "Ada"}
    )


def login(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def _link(mail: str) -> str:
    return re.search(r"http://[^\s]+", mail).group(0).removeprefix("http://127.0.0.1:8000")  # type: ignore[union-attr]


def test_register_logs_in_and_hashes_with_argon2id(app: Flask, client: FlaskClient) -> None:
    resp = register(client)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/account"
    assert "ada@example.com" in client.get("/account").get_data(as_text=True)
    with services(app).db.session_scope() as session:
        customer = session.query(Customer).one()
        assert customer.password_hash.startswith("$argon2id$")
        assert customer.role == "customer"


def test_register_validation_errors_are_field_level(client: FlaskClient) -> None:
    resp = register(client, email="not-an-email", password="short")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    # One sentence per field, for a person: no validator text, the label not repeated.
    assert (
        '<p class="error" id="f-email-error">'
        "Please enter a valid e-mail address, like name@example.com.</p>"
    ) in body
    assert '<p class="error" id="f-password-error">Password must be at least 10 characters.' in body
    assert "value is not a valid" not in body
    assert 'aria-invalid="true"' in body


def test_duplicate_email_is_refused(client: FlaskClient) -> None:
    register(client)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    resp = register(client, email="ADA@example.com")
    assert resp.status_code == 422
    assert "already has an account" in resp.get_data(as_text=True)


def test_login_logout_and_wrong_password(client: FlaskClient) -> None:
    register(client)
    out = client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    assert out.status_code == 302 and out.headers["Location"] == "/"
    assert "You are logged out." in client.get("/").get_data(as_text=True)
    assert client.get("/account").status_code == 302
    bad = login(client, "ada@example.com", "wrong password!!")
    assert bad.status_code == 401
    assert "do not match an account" in bad.get_data(as_text=True)
    assert login(client, "Ada@Example.com", "correct horse battery").status_code == 302
    assert client.get("/account").status_code == 200


def test_login_next_is_never_an_open_redirect(client: FlaskClient) -> None:
    register(client)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    for target, expected in [
        ("/account", "/account"),
        ("//evil.example/x", "/account"),
        ("https://evil.example", "/account"),
        ("/\\evil", "/account"),
    ]:
        token = csrf_from(client, "/login")  # each login starts a fresh session
        resp = client.post(
            f"/login?next={target}",
            data={
                "csrf_token": token,
                "email": "ada@example.com",
                "password": "correct horse battery",
            },
        )
        assert resp.headers["Location"] == expected


def test_anonymous_account_redirects_to_login_and_api_gets_401(client: FlaskClient) -> None:
    resp = client.get("/account")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=/account")
    api = client.get("/account", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "unauthorized"


def test_verify_email_links_guest_orders(app: Flask, client: FlaskClient) -> None:
    with services(app).db.session_scope() as session:
        session.add(
            Order(
                number="SF-GUEST1",
                email="ada@example.com",
                status="paid",
                currency="EUR",
                subtotal_amount=1,
                shipping_amount=0,
                total_amount=1,
                shipping_address={},
            )
        )
        session.add(
            Order(
                number="SF-OTHER",
                email="bob@example.com",
                status="paid",
                currency="EUR",
                subtotal_amount=1,
                shipping_amount=0,
                total_amount=1,
                shipping_address={},
            )
        )
    register(client)
    assert "SF-GUEST1" not in client.get("/account").get_data(as_text=True)
    (mail,) = [m for m in outbox_mails(app) if "Confirm your e-mail" in m]
    resp = client.get(_link(mail), follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "1 earlier order(s) are now in your account" in body
    assert "SF-GUEST1" in body
    assert "SF-OTHER" not in body


def test_password_reset_is_single_use_and_ends_other_sessions(
    app: Flask, client: FlaskClient
) -> None:
    register(client)
    other = app.test_client()
    login(other, "ada@example.com", "correct horse battery")
    assert other.get("/account").status_code == 200

    anon = app.test_client()
    token = csrf_from(anon, "/account/password-reset")
    resp = anon.post(
        "/account/password-reset", data={"csrf_token": token, "email": "ada@example.com"}
    )
    assert "If ada@example.com has an account" in resp.get_data(as_text=True)
    (mail,) = [m for m in outbox_mails(app) if "reset your password" in m]
    link = _link(mail)
    token = csrf_from(anon, link)
    assert (
        anon.post(link, data={"csrf_token": token, "password": "a brand new password"}).status_code
        == 302
    )
    # the old session is over, the old password is gone, the link is spent
    assert other.get("/account").status_code == 302
    assert login(app.test_client(), "ada@example.com", "correct horse battery").status_code == 401
    assert login(app.test_client(), "ada@example.com", "a brand new password").status_code == 302
    again = app.test_client()
    token = csrf_from(again, link)
    reused = again.post(
        link, data={"csrf_token": token, "password": "yet another password"}, follow_redirects=True
    )
    assert "already used" in reused.get_data(as_text=True)


def test_reset_for_unknown_email_answers_the_same(app: Flask, client: FlaskClient) -> None:
    token = csrf_from(client, "/account/password-reset")
    resp = client.post(
        "/account/password-reset", data={"csrf_token": token, "email": "nobody@example.com"}
    )
    assert "If nobody@example.com has an account" in resp.get_data(as_text=True)
    assert outbox_mails(app) == []


def test_tampered_reset_link_is_refused(client: FlaskClient) -> None:
    resp = client.get("/account/password-reset/not-a-token", follow_redirects=True)
    assert "That reset link is invalid" in resp.get_data(as_text=True)


def test_download_and_delete_my_data(app: Flask, client: FlaskClient) -> None:
    register(client)
    (mail,) = [m for m in outbox_mails(app) if "Confirm your e-mail" in m]
    client.get(_link(mail))  # only the address's proven owner sees its guest orders
    with services(app).db.session_scope() as session:
        session.add(
            Order(
                number="SF-MINE0001",
                email="ada@example.com",
                status="delivered",
                currency="EUR",
                subtotal_amount=1,
                shipping_amount=0,
                total_amount=1,
                shipping_address={"first_name": "Ada", "city": "Berlin", "country": "DE"},
            )
        )
    data = client.get("/account/data")
    assert data.headers["Content-Disposition"].startswith("attachment")
    exported = data.get_json()
    assert exported["account"]["email"] == "ada@example.com"
    assert exported["orders"][0]["number"] == "SF-MINE0001"

    token = csrf_from(client, "/account/delete")
    assert (
        client.post("/account/delete", data={"csrf_token": token, "confirm": "nope"}).status_code
        == 422
    )
    token = csrf_from(client, "/account/delete")
    resp = client.post("/account/delete", data={"csrf_token": token, "confirm": "delete"})
    assert resp.status_code == 303
    assert client.get("/account").status_code == 302  # logged out
    with services(app).db.session_scope() as session:
        order = session.query(Order).one()
        assert order.email.startswith("deleted-")
        assert order.shipping_address == {"country": "DE", "anonymised": True}
        customer = session.query(Customer).one()
        assert customer.password_hash is None
        assert customer.anonymised_at is not None
    assert login(app.test_client(), "ada@example.com", "correct horse battery").status_code == 401


def test_saved_addresses_are_validated_owned_and_prefill_checkout(
    app: Flask, client: FlaskClient
) -> None:
    register(client)
    token = csrf_from(client, "/account/addresses")
    bad = client.post(
        "/account/addresses",
        data={
            "csrf_token": token,
            "first_name": "Ada",
            "last_name": "L",
            "line1": "x" * 40,
            "city": "Berlin",
            "post_code": "10435",
            "country": "Narnia",
        },
    )
    assert bad.status_code == 422
    assert "Please choose your country from the list." in bad.get_data(as_text=True)
    assert "Address can be at most 35 characters" in bad.get_data(as_text=True)
    good = client.post(
        "/account/addresses",
        data={
            "csrf_token": token,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "line1": "Kastanienallee 1",
            "city": "Berlin",
            "post_code": "10435",
            "country": "de",
        },
    )
    assert good.status_code == 303
    assert "Kastanienallee 1" in client.get("/account/addresses").get_data(as_text=True)
    from storefront.web.shop.addresses import default_address_form

    with app.test_request_context():
        with services(app).db.session_scope() as session:
            uid = session.query(Customer).one().id
        assert default_address_form(uid)["address_line1"] == "Kastanienallee 1"
    with services(app).db.session_scope() as session:
        from storefront.accounts.models import Address

        address_id = session.query(Address).one().id
    stranger = app.test_client()
    register(stranger, email="eve@example.com")
    token = csrf_from(stranger, "/account/addresses")
    assert (
        stranger.post(
            f"/account/addresses/{address_id}/delete", data={"csrf_token": token}
        ).status_code
        == 404
    )
