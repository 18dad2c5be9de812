"""The two-factor rules one by one: sealing, the TOTP window and replays, recovery codes,
growing delays, and the setting's defaults. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from storefront.accounts import services as accounts
from storefront.accounts import throttle, twofactor
from storefront.accounts.twofactor_models import RecoveryCode, StaffTotp
from storefront.crypto import KeyRing
from storefront.db import Database
from tests.conftest import make_settings

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)  # a step boundary: 30 s steps
RING = KeyRing.parse("k1:" + base64.b64encode(b"\x01" * 32).decode())


def key(secret: bytes, key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secret).decode()}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def staff(db: Database) -> tuple[int, pyotp.TOTP]:
    """An operator with 2FA on, enrolled with the code of step T0 - 90 s."""
    with db.session_scope(write=True) as session:
        uid = accounts.register(session, "op@example.com", "a long password!", role="operator").id
        secret = twofactor.pending_secret(session, RING, uid)
        start = T0 - timedelta(seconds=90)
        codes = twofactor.confirm_enrolment(session, RING, uid, pyotp.TOTP(secret).at(start), start)
        assert codes is not None
    return uid, pyotp.TOTP(secret)


# --- sealing -----------------------------------------------------------------------------------
def test_a_sealed_secret_opens_only_for_its_account_and_after_a_rotation() -> None:
    sealed = twofactor.seal(RING, 7, "JBSWY3DPEHPK3PXP")
    assert sealed.startswith("k1:") and "JBSWY3DPEHPK3PXP" not in sealed
    assert twofactor.seal(RING, 7, "JBSWY3DPEHPK3PXP") != sealed  # a new nonce every time
    assert twofactor.unseal(RING, 7, sealed) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(twofactor.SealError):
        twofactor.unseal(RING, 8, sealed)  # moved to another account
    rotated = KeyRing.parse(key(os.urandom(32), "k2") + "," + key(b"\x01" * 32, "k1"))
    assert twofactor.unseal(rotated, 7, sealed) == "JBSWY3DPEHPK3PXP"
    assert twofactor.seal(rotated, 7, "JBSWY3DPEHPK3PXP").startswith("k2:")
    other = KeyRing.parse(key(os.urandom(32), "k1"))
    with pytest.raises(twofactor.SealError):
        twofactor.unseal(other, 7, sealed)


def test_after_a_rotation_secrets_are_resealed_with_the_newest_key(
    db: Database, staff: tuple[int, pyotp.TOTP]
) -> None:
    uid, totp = staff
    rotated = KeyRing.parse(key(os.urandom(32), "k2") + "," + key(b"\x01" * 32, "k1"))
    only_new = KeyRing.parse(key(os.urandom(32), "k9"))
    with db.session_scope(write=True) as session:
        with pytest.raises(twofactor.SealError, match="key gone"):
            twofactor.verify(session, only_new, uid, totp.at(T0), T0)
        assert twofactor.reseal_all(session, rotated) == 1
        assert session.get_one(StaffTotp, uid).sealed_secret.startswith("k2:")
        assert twofactor.reseal_all(session, rotated) == 0
        assert twofactor.verify(session, rotated, uid, totp.at(T0), T0) == "totp"


# --- TOTP --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)]
)
def test_a_code_counts_for_its_step_and_one_either_side(
    db: Database, staff: tuple[int, pyotp.TOTP], offset: int, accepted: bool
) -> None:
    uid, totp = staff
    code = totp.at(T0 + timedelta(seconds=offset))
    with db.session_scope(write=True) as session:
        assert (twofactor.verify(session, RING, uid, code, T0) == "totp") is accepted


def test_a_code_is_refused_the_second_time_and_so_are_older_ones(
    db: Database, staff: tuple[int, pyotp.TOTP]
) -> None:
    uid, totp = staff
    with db.session_scope(write=True) as session:
        assert twofactor.verify(session, RING, uid, totp.at(T0), T0) == "totp"
        assert twofactor.verify(session, RING, uid, totp.at(T0), T0) is None  # replay
        older = totp.at(T0 - timedelta(seconds=30))  # still in the window, but before the last
        assert twofactor.verify(session, RING, uid, older, T0) is None
        later = T0 + timedelta(seconds=30)
        assert twofactor.verify(session, RING, uid, totp.at(later), later) == "totp"


def test_the_enrolment_code_itself_cannot_be_used_again(db: Database) -> None:
    with db.session_scope(write=True) as session:
        uid = accounts.register(session, "op@example.com", "a long password!", role="operator").id
        totp = pyotp.TOTP(twofactor.pending_secret(session, RING, uid))
        assert twofactor.confirm_enrolment(session, RING, uid, "12345", T0) is None  # not 6 digits
        assert twofactor.confirm_enrolment(session, RING, uid, totp.at(T0), T0) is not None
        assert twofactor.verify(session, RING, uid, totp.at(T0), T0) is None
        assert twofactor.is_enabled(session, uid)


def test_a_pending_enrolment_is_no_second_factor(db: Database) -> None:
    with db.session_scope(write=True) as session:
        uid = accounts.register(session, "op@example.com", "a long password!", role="operator").id
        totp = pyotp.TOTP(twofactor.pending_secret(session, RING, uid))
        assert not twofactor.is_enabled(session, uid)
        assert twofactor.verify(session, RING, uid, totp.at(T0), T0) is None
        assert twofactor.pending_secret(session, RING, uid) == totp.secret


# --- recovery codes ----------------------------------------------------------------------------
def test_recovery_codes_are_ten_distinct_hashed_and_good_once(
    db: Database, staff: tuple[int, pyotp.TOTP]
) -> None:
    uid, _ = staff
    with db.session_scope(write=True) as session:
        codes = twofactor.new_recovery_codes(session, uid)
        assert len(set(codes)) == 10
        assert all(len(c) == 16 and c.count("-") == 2 for c in codes)
        stored = session.query(RecoveryCode).filter_by(customer_id=uid).all()
        assert all(codes[0].replace("-", "") not in r.code_hash for r in stored)
        assert twofactor.verify(session, RING, uid, codes[0], T0) == "recovery"
        assert twofactor.verify(session, RING, uid, codes[0], T0) is None
        wrong = codes[1][:-1] + ("a" if codes[1][-1] != "a" else "b")  # right selector
        assert twofactor.verify(session, RING, uid, wrong, T0) is None
        assert twofactor.status(session, uid).recovery_codes_left == 9
        fresh = twofactor.new_recovery_codes(session, uid)  # replaces every old one
        assert twofactor.verify(session, RING, uid, codes[1], T0) is None
        assert twofactor.verify(session, RING, uid, fresh[0], T0) == "recovery"


def test_reset_forgets_the_factor_and_the_codes(
    db: Database, staff: tuple[int, pyotp.TOTP]
) -> None:
    uid, _ = staff
    with db.session_scope(write=True) as session:
        assert twofactor.reset(session, uid) is True
        assert not twofactor.is_enabled(session, uid)
        assert session.get(StaffTotp, uid) is None
        assert session.query(RecoveryCode).filter_by(customer_id=uid).count() == 0
        assert twofactor.reset(session, uid) is False


# --- growing delays ----------------------------------------------------------------------------
def test_the_delay_grows_from_the_free_attempts_up_to_the_cap() -> None:
    policy = throttle.Policy(free=3, first_delay=5, max_delay=900)
    assert [policy.delay(n) for n in range(1, 12)] == [0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900]
    assert policy.delay(40) == 900


def test_failures_block_until_the_delay_is_over_and_a_success_clears(db: Database) -> None:
    account, address = throttle.keys_for("2fa", 1, "10.0.0.1")
    with db.session_scope(write=True) as session:
        for _ in range(3):
            assert throttle.wait_seconds(session, [account, address], T0) == 0
            throttle.record_failure(session, [account, address], T0)
        assert throttle.wait_seconds(session, [account, address], T0) == 5
        assert throttle.wait_seconds(session, [address], T0) == 0  # the address has more room
        assert throttle.wait_seconds(session, [account], T0 + timedelta(seconds=5)) == 0
        throttle.record_failure(session, [account, address], T0 + timedelta(seconds=5))
        assert throttle.wait_seconds(session, [account], T0 + timedelta(seconds=5)) == 10
        throttle.clear(session, account)
        assert throttle.wait_seconds(session, [account], T0 + timedelta(seconds=5)) == 0
        assert throttle.failures(session, address) == 4


def test_old_failures_are_forgotten(db: Database) -> None:
    account, _ = throttle.keys_for("2fa", 1, None)
    with db.session_scope(write=True) as session:
        for _ in range(5):
            throttle.record_failure(session, [account], T0)
        next_day = T0 + timedelta(days=1, seconds=1)
        throttle.record_failure(session, [account], next_day)
        assert throttle.failures(session, account) == 1
        assert throttle.wait_seconds(session, [account], next_day) == 0


# --- the setting -------------------------------------------------------------------------------
def test_staff_2fa_is_required_by_default_in_production_only() -> None:
    assert make_settings().staff_second_factor_required is False
    assert make_settings(staff_2fa_required=True).staff_second_factor_required is True
    production = make_settings(
        storefront_env="production",
        secret_key="s" * 40,
        base_url="https://shop.example",
        stripe_api_key="sk_live_x",
        stripe_webhook_secret="whsec_x",
        paypal_client_secret="p",
        paypal_webhook_id="WH-REAL",
        gelato_api_key="g",
        mailchimp_api_key="m-us1",
        sanity_webhook_secret="s",
        gelato_webhook_secret="gw",
        mailchimp_webhook_secret="mw",
        sanity_project_id="abc",
        smtp_url="smtp://mail.example:25",
        data_keys=key(os.urandom(32), "p1"),
    )
    assert production.staff_second_factor_required is True
    assert (
        production.model_copy(update={"staff_2fa_required": False}).staff_second_factor_required
        is False
    )
