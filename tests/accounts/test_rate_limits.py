"""Rate limits on the forms people (and bots) hammer, at the door. Log-in slows wrong
passwords per account and per address with growing delays (never a lock) and tells the
owner; password reset and the newsletter form answer 429 past their limit. Each acts no
more once limited (no session, no e-mail, no sign-up)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from storefront.accounts.throttle import LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, AuthFailure
from storefront.container import services
from storefront.newsletter.models import Subscriber
from storefront.outbox.models import OutboxEntry
from tests.accounts.conftest import csrf_from, outbox_mails
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


def post_login_as(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client, "/login")
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        headers=HTML,
    )


def account_delay(app: Flask) -> float:
    """The delay set after the account's last wrong password, in seconds."""
    with services(app).db.session_scope() as session:
        row = session.execute(
            select(AuthFailure).where(AuthFailure.key.like("login:email:%"))
        ).scalar_one()
        assert row.blocked_until is not None
        return (row.blocked_until - row.last_failure_at).total_seconds()


def _time_passes(app: Flask) -> None:
    """Every delay runs out (what waiting would do, without waiting)."""
    with services(app).db.session_scope(write=True) as session:
        session.execute(update(AuthFailure).values(blocked_until=None))


def test_guesses_at_one_account_from_many_addresses_are_slowed_and_the_owner_told(
    app: Flask,
) -> None:
    register(from_address(app, "10.0.0.9"))
    free = LOGIN_PER_ACCOUNT.free
    statuses = [
        post_login(from_address(app, f"10.1.0.{i}"), f"guess-{i}").status_code for i in range(free)
    ]
    assert statuses == [401] * free  # each guess from a new address: per address, all fine
    slowed = post_login(from_address(app, "10.1.0.99"), PASSWORD)
    assert slowed.status_code == 429  # the account waits, even for the right password
    waiting = int(slowed.headers["Retry-After"])
    assert 0 < waiting <= LOGIN_PER_ACCOUNT.delay(free) == 5  # what is left of the delay
    assert f"Try again in {waiting} seconds" in slowed.get_data(as_text=True)
    assert account_delay(app) == 5
    warnings = [m for m in outbox_mails(app) if "trying to log in" in m]
    assert len(warnings) == 1 and "To: ada@example.com" in warnings[0]
    assert f"{free} times in a row" in warnings[0]

    _time_passes(app)  # a delay, not a lock: once it has passed the owner gets in
    owner = from_address(app, "10.0.0.9")
    assert post_login(owner, PASSWORD).status_code == 302
    assert owner.get("/account", headers=HTML).status_code == 200
    # The success started the account afresh: the next wrong password is not delayed.
    assert post_login(from_address(app, "10.1.0.50"), "guess-again").status_code == 401


def test_the_delay_grows_with_each_guess(app: Flask) -> None:
    register(from_address(app, "10.0.0.9"))
    free = LOGIN_PER_ACCOUNT.free
    for i in range(free):
        post_login(from_address(app, f"10.2.0.{i}"), f"guess-{i}")
    delays = []
    for i in range(3):
        _time_passes(app)
        assert post_login(from_address(app, f"10.2.1.{i}"), "wrong").status_code == 401
        refused = post_login(from_address(app, f"10.2.2.{i}"), "wrong")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= account_delay(app)
        delays.append(account_delay(app))
    assert delays == [10, 20, 40]
    assert len([m for m in outbox_mails(app) if "trying to log in" in m]) == 1  # one warning


def test_one_address_trying_many_accounts_is_slowed_but_others_are_not(app: Flask) -> None:
    register(from_address(app, "10.0.0.9"))
    guesser = from_address(app, "10.0.0.1")
    free = LOGIN_PER_ADDRESS.free
    statuses = [
        post_login_as(guesser, f"someone{i}@example.com", "guess").status_code for i in range(free)
    ]
    assert statuses == [401] * free
    limited = post_login(guesser, PASSWORD)
    assert limited.status_code == 429  # this address waits, even with a right password
    assert guesser.get("/account", headers=HTML).status_code in (302, 303)  # not logged in
    # The account itself was never guessed at: its owner elsewhere logs in at once.
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
