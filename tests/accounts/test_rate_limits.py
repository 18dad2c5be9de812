"""Rate limits on the forms people (and bots) hammer, at the door: log-in, password reset
and the newsletter form each answer 429 past their limit, act no more once limited (no
session, no e-mail, no sign-up), and limit per address, not for everybody."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from storefront.container import services
from storefront.newsletter.models import Subscriber
from storefront.outbox.models import OutboxEntry
from tests.accounts.conftest import csrf_from
from tests.accounts.test_accounts import register

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}


def from_address(app: Flask, address: str, *, cookies: bool = True) -> FlaskClient:
    client = app.test_client(use_cookies=cookies)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_login(client: FlaskClient, password: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client, "/login")
    return client.post(
        "/login",
        data={"csrf_token": token, "email": "ada@example.com", "password": password},
        headers=HTML,
    )


def test_login_is_limited_per_address_even_with_the_right_password(app: Flask) -> None:
    register(from_address(app, "10.0.0.9"))
    guesser = from_address(app, "10.0.0.1")
    statuses = [post_login(guesser, f"guess-{i}").status_code for i in range(10)]
    assert statuses == [401] * 10
    limited = post_login(guesser, PASSWORD)
    assert limited.status_code == 429
    assert guesser.get("/account", headers=HTML).status_code in (302, 303)  # not logged in
    assert post_login(from_address(app, "10.0.0.2"), PASSWORD).status_code == 302


def reset_mails(app: Flask) -> int:
    with services(app).db.session_scope() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.key.like("password_reset:%"))
            )
            or 0
        )


def test_password_reset_requests_are_limited_and_send_nothing_more(app: Flask) -> None:
    register(from_address(app, "10.0.1.9"))
    services(app).mail_delivery = "off"
    client = from_address(app, "10.0.1.1")

    def ask():  # type: ignore[no-untyped-def]
        token = csrf_from(client, "/account/password-reset")
        return client.post(
            "/account/password-reset",
            data={"csrf_token": token, "email": "ada@example.com"},
            headers=HTML,
        )

    statuses = [ask().status_code for _ in range(5)]
    assert all(s < 400 for s in statuses), statuses
    sent = reset_mails(app)
    assert sent >= 1
    assert ask().status_code == 429
    assert reset_mails(app) == sent
    other = from_address(app, "10.0.1.2")
    token = csrf_from(other, "/account/password-reset")
    response = other.post(
        "/account/password-reset", data={"csrf_token": token, "email": "ada@example.com"}
    )
    assert response.status_code < 400


def test_the_newsletter_form_is_limited_and_signs_up_no_one_more(app: Flask) -> None:
    services(app).mail_delivery = "off"
    client = from_address(app, "10.0.2.1", cookies=False)  # a first-time visitor each time

    def sign_up(n: int):  # type: ignore[no-untyped-def]
        return client.post(
            "/newsletter",
            data={"email": f"reader{n}@example.com"},
            headers={"Origin": "http://localhost", **HTML},
        )

    assert [sign_up(n).status_code for n in range(5)] == [200] * 5
    limited = sign_up(5)
    assert limited.status_code == 429
    with services(app).db.session_scope() as session:
        emails = set(session.execute(select(Subscriber.email)).scalars())
    assert emails == {f"reader{n}@example.com" for n in range(5)}
    other = from_address(app, "10.0.2.2", cookies=False).post(
        "/newsletter", data={"email": "late@example.com"}, headers={"Origin": "http://localhost"}
    )
    assert other.status_code == 200
