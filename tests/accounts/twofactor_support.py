"""Helpers for the two-factor tests: staff accounts, enrolment through the page, codes."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from storefront.accounts import services as accounts
from storefront.container import services
from tests.accounts.conftest import csrf_from

PASSWORD = "a staff password, long"
HTML = {"Accept": "text/html"}


@dataclass
class Staff:
    email: str
    secret: str = ""
    recovery: list[str] = field(default_factory=list)

    def code(self, steps_ahead: int = 0) -> str:
        """The code of the current step, or of a later one (still inside the drift window)."""
        return pyotp.TOTP(self.secret).at(time.time() + 30 * steps_ahead)

    def wrong_code(self) -> str:
        """Six digits that no step in the accepted window has (never right by chance)."""
        valid = {self.code(step) for step in (-1, 0, 1)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def make_staff(app: Flask, email: str = "op@example.com", role: str = "operator") -> Staff:
    with services(app).db.session_scope(write=True) as session:
        accounts.register(session, email, PASSWORD, role=role)
    return Staff(email)


def client_from(app: Flask, address: str = "10.1.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, page: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_from(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, headers=HTML)


def password_login(client: FlaskClient, staff: Staff, next_path: str = "/admin"):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        f"/login?next={next_path}",
        {"email": staff.email, "password": PASSWORD},
        page="/login",
    )


def send_code(client: FlaskClient, code: str, path: str = "/login/code"):  # type: ignore[no-untyped-def]
    return post_form(client, path, {"code": code})


def enrol(client: FlaskClient, staff: Staff) -> None:
    """Read the secret off the enrolment page, confirm with a code, keep the recovery codes."""
    page = client.get("/account/two-factor", headers=HTML).get_data(as_text=True)
    match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page)
    assert match, "no secret on the enrolment page"
    staff.secret = match.group(1)
    done = send_code(client, staff.code(), "/account/two-factor")
    assert done.status_code == 200, done.get_data(as_text=True)
    staff.recovery = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(staff.recovery) == 10


def logged_in_staff(app: Flask, staff: Staff, address: str = "10.1.0.1") -> FlaskClient:
    """A staff member with 2FA on and a fresh code in this client's session."""
    client = client_from(app, address)
    assert password_login(client, staff).status_code in (302, 303)
    if not staff.secret:
        enrol(client, staff)
    else:
        assert send_code(client, staff.code(1)).status_code == 303
    return client
