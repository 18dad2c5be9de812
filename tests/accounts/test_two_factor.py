"""Staff two-factor login at its doors: enrolment, the code after the password, the step-up
before erasures and API tokens (HTML and JSON), growing delays on wrong codes, replayed
codes, recovery codes used once. (Refunds: ``tests/checkout/test_two_factor_refund.py``;
the browser: ``tests/browser/test_account_and_refund.py``.)"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.accounts import twofactor
from storefront.accounts.models import Customer
from storefront.accounts.token_models import ApiToken
from storefront.accounts.twofactor_models import RecoveryCode, StaffTotp
from storefront.config import Settings
from storefront.container import services
from tests.accounts.conftest import csrf_from
from tests.accounts.twofactor_support import (
    HTML,
    PASSWORD,
    Staff,
    client_from,
    enrol,
    logged_in_staff,
    make_staff,
    password_login,
    post_form,
    send_code,
)
from tests.conftest import make_settings

JSON = {"Accept": "application/json"}
STALE = 11 * 60  # seconds: past the ten minutes a code counts for


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(
        database_url=sqlite_url, data_dir=tmp_path / "var", staff_2fa_required=True
    )


def later(seconds: float) -> time_machine.travel:
    return time_machine.travel(time.time() + seconds, tick=False)


# --- enrolment -------------------------------------------------------------------------------
def test_staff_without_a_second_factor_enrol_before_the_dashboard(app: Flask) -> None:
    staff = make_staff(app)
    client = client_from(app)
    assert password_login(client, staff).headers["Location"] == "/admin"
    to_enrol = client.get("/admin", headers=HTML)
    assert to_enrol.status_code == 302 and to_enrol.headers["Location"] == "/account/two-factor"
    assert client.get("/account", headers=HTML).headers["Location"] == "/account/two-factor"
    api = client.get("/api/v1/operator/orders")
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "second_factor_setup_required"

    page = client.get("/account/two-factor", headers=HTML)
    body = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "<svg" in body and "<script" not in body  # drawn here, no outside service
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', body).group(1)  # type: ignore[union-attr]
    again = client.get("/account/two-factor", headers=HTML).get_data(as_text=True)
    assert secret in again  # the same secret until it is confirmed

    wrong = send_code(client, Staff("", secret).wrong_code(), "/account/two-factor")
    assert wrong.status_code == 422 and "is not the one your app shows" in wrong.get_data(
        as_text=True
    )
    assert client.get("/admin", headers=HTML).status_code == 302  # still not on

    enrol(client, staff)
    assert staff.secret == secret
    assert client.get("/admin", headers=HTML).status_code == 200
    with services(app).db.session_scope() as session:
        row = session.scalars(select(StaffTotp)).one()
        assert row.enabled_at is not None and secret not in row.sealed_secret
        hashes = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in staff.recovery for h in hashes)
    on = client.get("/account/two-factor", headers=HTML).get_data(as_text=True)
    assert "Recovery codes left: <strong>10</strong>" in on and secret not in on


def test_customers_are_not_asked_for_a_second_factor(app: Flask) -> None:
    client = client_from(app)
    post_form(client, "/register", {"email": "ada@example.com", "password": PASSWORD})
    assert client.get("/account", headers=HTML).status_code == 200
    assert client.get("/account/delete", headers=HTML).status_code == 200
    assert client.get("/account/two-factor", headers=HTML).status_code == 403


# --- the login -------------------------------------------------------------------------------
def test_login_needs_the_code_after_the_password(app: Flask) -> None:
    staff = make_staff(app)
    logged_in_staff(app, staff)

    client = client_from(app, "10.1.0.2")
    first = password_login(client, staff, "/admin/orders")
    assert first.status_code == 303 and first.headers["Location"] == "/login/code"
    between = client.get("/admin", headers=HTML)  # the password alone logs nobody in
    assert between.status_code == 302 and between.headers["Location"].startswith("/login")
    assert client.get("/api/v1/users/me").status_code == 401

    wrong = send_code(client, "not-a-code")
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    done = send_code(client, staff.code(1))
    assert done.status_code == 303 and done.headers["Location"] == "/admin/orders"
    assert client.get("/admin", headers=HTML).status_code == 200


def test_a_code_is_good_once(app: Flask) -> None:
    staff = make_staff(app)
    logged_in_staff(app, staff)
    code = staff.code(1)
    first = client_from(app, "10.1.0.2")
    password_login(first, staff)
    assert send_code(first, code).status_code == 303
    replay = client_from(app, "10.1.0.3")
    password_login(replay, staff)
    refused = send_code(replay, code)
    assert refused.status_code == 401 and "used already" in refused.get_data(as_text=True)
    assert replay.get("/admin", headers=HTML).status_code == 302


def test_a_recovery_code_logs_in_once(app: Flask) -> None:
    staff = make_staff(app)
    logged_in_staff(app, staff)
    code = staff.recovery[3]
    client = client_from(app, "10.1.0.2")
    password_login(client, staff)
    used = send_code(client, code.upper().replace("-", " "))  # as read off paper
    assert used.status_code == 303
    assert client.get("/admin", headers=HTML).status_code == 200
    again = client_from(app, "10.1.0.3")
    password_login(again, staff)
    assert send_code(again, code).status_code == 401
    with services(app).db.session_scope() as session:
        customer = accounts.find_by_email(session, staff.email)
        assert customer is not None
        assert twofactor.status(session, customer.id).recovery_codes_left == 9


def test_the_code_must_follow_the_password_within_five_minutes(app: Flask) -> None:
    staff = make_staff(app)
    logged_in_staff(app, staff)
    client = client_from(app, "10.1.0.2")
    password_login(client, staff)
    token = csrf_from(client, "/login/code")
    with later(301):
        late = client.post(
            "/login/code", data={"csrf_token": token, "code": staff.code()}, headers=HTML
        )
    assert late.status_code == 303 and late.headers["Location"] == "/login"
    assert client.get("/admin", headers=HTML).status_code == 302


def test_enrolling_elsewhere_ends_password_only_sessions(app: Flask) -> None:
    """A session from before 2FA was turned on (another browser) is no login any more."""
    staff = make_staff(app)
    old = client_from(app, "10.1.0.9")
    with services(app).db.session_scope() as session:
        customer = accounts.find_by_email(session, staff.email)
        assert customer is not None
        uid, version = customer.id, accounts.session_version(customer)
    with old.session_transaction() as sess:
        sess["uid"], sess["av"] = uid, version
    logged_in_staff(app, staff)
    assert old.get("/admin", headers=HTML).headers["Location"].startswith("/login")


def test_a_secret_whose_key_was_dropped_is_a_clear_403_not_a_500(app: Flask) -> None:
    staff = make_staff(app)
    logged_in_staff(app, staff)
    found = services(app)
    other_key = "new:" + base64.b64encode(b"\x02" * 32).decode()
    found.settings = make_settings(
        database_url=found.settings.database_url,
        data_dir=found.settings.data_dir,
        staff_2fa_required=True,
        data_keys=other_key,
    )
    client = client_from(app, "10.1.0.4")
    password_login(client, staff)
    refused = send_code(client, staff.code(1))
    assert refused.status_code == 403
    assert "storefront users reset-2fa" in refused.get_data(as_text=True)


def test_a_reset_factor_ends_the_sessions_that_proved_it(app: Flask) -> None:
    staff = make_staff(app)
    client = logged_in_staff(app, staff)
    assert client.get("/admin", headers=HTML).status_code == 200
    with services(app).db.session_scope(write=True) as session:
        customer = accounts.find_by_email(session, staff.email)
        assert customer is not None
        twofactor.reset(session, customer.id)  # what `storefront users reset-2fa` does
    assert client.get("/admin", headers=HTML).headers["Location"].startswith("/login")
    again = client_from(app, "10.1.0.5")  # the password leads to a new enrolment
    assert password_login(again, staff).headers["Location"] == "/admin"
    assert again.get("/admin", headers=HTML).headers["Location"] == "/account/two-factor"


def test_new_recovery_codes_need_a_fresh_factor(app: Flask) -> None:
    staff = make_staff(app)
    client = logged_in_staff(app, staff)
    made = post_form(client, "/account/two-factor", {"action": "new-codes"})
    fresh = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", made.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(staff.recovery)
    with later(STALE):
        asked = post_form(client, "/account/two-factor", {"action": "new-codes"})
        assert asked.headers["Location"] == "/account/two-factor/confirm?next=/account/two-factor"
    old = client_from(app, "10.1.0.6")
    password_login(old, staff)
    assert send_code(old, staff.recovery[0]).status_code == 401  # the old ones are gone
    assert send_code(old, fresh[0]).status_code == 303


# --- throttling ------------------------------------------------------------------------------
def test_wrong_codes_make_the_account_wait_longer_and_longer(app: Flask) -> None:
    with time_machine.travel(time.time(), tick=False) as clock:  # waits read exactly
        _account_waits_grow(app, clock)


def _account_waits_grow(app: Flask, clock: time_machine.Coordinates) -> None:
    staff = make_staff(app)
    logged_in_staff(app, staff)
    client = client_from(app, "10.2.0.1")
    password_login(client, staff)
    assert [send_code(client, staff.wrong_code()).status_code for _ in range(3)] == [401, 401, 401]
    limited = send_code(client, staff.code(1))  # even the right code waits
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "5"
    assert "Try again in 5 seconds" in limited.get_data(as_text=True)

    elsewhere = client_from(app, "10.2.0.2")  # another address does not escape the account's
    password_login(elsewhere, staff)
    assert send_code(elsewhere, staff.code(1)).status_code == 429

    waits = []
    for delay in (5, 10, 20):
        clock.shift(delay)
        wrong = send_code(client, staff.wrong_code())
        assert wrong.status_code == 401
        limited = send_code(client, staff.wrong_code())
        waits.append(int(limited.headers["Retry-After"]))
    assert waits == [10, 20, 40]
    clock.shift(40)
    assert send_code(client, staff.code()).status_code == 303
    password_login(elsewhere, staff)
    assert send_code(elsewhere, staff.wrong_code()).status_code == 401  # a success: afresh


def test_one_address_guessing_many_accounts_is_slowed(app: Flask) -> None:
    with time_machine.travel(time.time(), tick=False):  # the address's wait outlasts the test
        _address_waits(app)


def _address_waits(app: Flask) -> None:
    team = [make_staff(app, f"op{i}@example.com") for i in range(6)]
    for member in team:
        logged_in_staff(app, member, address=f"10.3.1.{team.index(member)}")
    statuses = []
    for member in team[:5]:  # two wrong codes each: no account waits, the address does
        guesser = client_from(app, "10.3.0.1")
        password_login(guesser, member)
        statuses += [send_code(guesser, member.wrong_code()).status_code for _ in range(2)]
    assert statuses == [401] * 10
    guesser = client_from(app, "10.3.0.1")
    password_login(guesser, team[5])
    assert send_code(guesser, team[5].code(1)).status_code == 429
    owner = client_from(app, "10.3.0.2")  # the owner, elsewhere, is not locked out
    password_login(owner, team[5])
    assert send_code(owner, team[5].code(1)).status_code == 303


# --- step-up ---------------------------------------------------------------------------------
def test_api_token_creation_needs_a_fresh_factor_html_and_json(app: Flask) -> None:
    staff = make_staff(app, "root@example.com", role="admin")
    client = logged_in_staff(app, staff)
    made = post_form(client, "/admin/tokens", {"name": "fresh", "role": "operator"})
    assert made.status_code == 200 and "shown only once" in made.get_data(as_text=True)

    with later(STALE):
        asked = post_form(client, "/admin/tokens", {"name": "stale", "role": "operator"})
        assert asked.status_code == 303
        assert asked.headers["Location"] == "/account/two-factor/confirm?next=/admin/tokens"
        csrf = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
        api = client.post("/api/v1/tokens", json={"name": "script"}, headers={"X-CSRFToken": csrf})
        assert api.status_code == 403
        error = api.get_json()["error"]
        assert error["code"] == "second_factor_required"
        assert "/account/two-factor/confirm" in error["message"]
        with services(app).db.session_scope() as session:
            assert session.scalars(select(ApiToken.name)).all() == ["fresh"]

        wrong = send_code(client, staff.wrong_code(), asked.headers["Location"])
        assert wrong.status_code == 401
        back = send_code(client, staff.code(1), asked.headers["Location"])
        assert back.status_code == 303 and back.headers["Location"] == "/admin/tokens"
        api = client.post("/api/v1/tokens", json={"name": "script"}, headers={"X-CSRFToken": csrf})
        assert api.status_code == 201
        made = post_form(client, "/admin/tokens", {"name": "stale", "role": "operator"})
        assert made.status_code == 200
    with services(app).db.session_scope() as session:
        assert sorted(session.scalars(select(ApiToken.name)).all()) == ["fresh", "script", "stale"]


def test_a_code_given_at_login_counts_for_ten_minutes_to_the_second(app: Flask) -> None:
    staff = make_staff(app, "root@example.com", role="admin")
    logged_in_staff(app, staff)  # enrolled in another browser
    start = float(int(time.time()) + 1)  # a whole second: the login stamps whole seconds
    with time_machine.travel(start, tick=False) as clock:
        client = client_from(app, "10.1.0.7")
        password_login(client, staff)
        assert send_code(client, staff.code(1)).status_code == 303
        at_once = post_form(client, "/admin/tokens", {"name": "at once", "role": "operator"})
        assert at_once.status_code == 200 and "shown only once" in at_once.get_data(as_text=True)
        clock.shift(twofactor.FRESH_SECONDS)
        last = post_form(client, "/admin/tokens", {"name": "ten minutes on", "role": "operator"})
        assert last.status_code == 200 and "shown only once" in last.get_data(as_text=True)
        clock.shift(1)
        asked = post_form(client, "/admin/tokens", {"name": "a second late", "role": "operator"})
        assert asked.status_code == 303
        assert asked.headers["Location"] == "/account/two-factor/confirm?next=/admin/tokens"
    with services(app).db.session_scope() as session:
        assert sorted(session.scalars(select(ApiToken.name)).all()) == ["at once", "ten minutes on"]


def test_erasing_a_customer_needs_a_fresh_factor(app: Flask) -> None:
    with services(app).db.session_scope(write=True) as session:
        shopper_id = accounts.register(session, "eve@example.com", PASSWORD).id
    staff = make_staff(app)
    client = logged_in_staff(app, staff)
    with later(STALE):
        asked = post_form(
            client, f"/admin/customers/{shopper_id}/forget", {"confirm": "forget"}, page="/admin"
        )
        assert asked.status_code == 303
        assert asked.headers["Location"].startswith("/account/two-factor/confirm?next=")
        with services(app).db.session_scope() as session:
            assert session.get_one(Customer, shopper_id).anonymised_at is None
        send_code(client, staff.code(1), asked.headers["Location"])
        done = post_form(
            client, f"/admin/customers/{shopper_id}/forget", {"confirm": "forget"}, page="/admin"
        )
        assert done.status_code == 303 and done.headers["Location"] == "/admin/customers"
    with services(app).db.session_scope() as session:
        assert session.get_one(Customer, shopper_id).anonymised_at is not None


def test_staff_deleting_their_own_account_confirm_first(app: Flask) -> None:
    staff = make_staff(app)
    client = logged_in_staff(app, staff)
    assert client.get("/account/delete", headers=HTML).status_code == 200  # fresh from login
    with later(STALE):
        asked = client.get("/account/delete", headers=HTML)
        assert asked.headers["Location"] == "/account/two-factor/confirm?next=/account/delete"
        token = csrf_from(client, "/admin")
        posted = client.post(
            "/account/delete", data={"csrf_token": token, "confirm": "delete"}, headers=HTML
        )
        assert posted.status_code == 303 and "/two-factor/confirm" in posted.headers["Location"]
        with services(app).db.session_scope() as session:
            customer = accounts.find_by_email(session, staff.email)
            assert customer is not None and customer.anonymised_at is None
            uid = customer.id
        send_code(client, staff.code(1), asked.headers["Location"])
        gone = client.post(
            "/account/delete", data={"csrf_token": token, "confirm": "delete"}, headers=HTML
        )
        assert gone.status_code == 303
    with services(app).db.session_scope() as session:
        assert session.get_one(Customer, uid).anonymised_at is not None
        assert session.get(StaffTotp, uid) is None  # the sealed secret is erased too


def test_the_step_up_page_only_returns_to_this_shop(app: Flask) -> None:
    staff = make_staff(app)
    client = logged_in_staff(app, staff)
    with later(STALE):
        back = send_code(client, staff.code(1), "/account/two-factor/confirm?next=//evil.example")
    assert back.status_code == 303 and back.headers["Location"] == "/account"
