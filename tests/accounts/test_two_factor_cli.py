"""``storefront users reset-2fa``: the installed console script turns off a staff member's
two-factor login (lost phone and recovery codes), so they enrol again."""

from __future__ import annotations

from pathlib import Path

import pyotp

from storefront import migrate
from storefront.accounts import services as accounts
from storefront.accounts import twofactor
from storefront.config import Settings
from storefront.db import Database, utcnow
from tests.cli.support import console_env, storefront
from tests.conftest import make_settings


def test_reset_2fa_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    settings: Settings = make_settings(database_url=url)
    ring = settings.data_key_ring
    db = Database(url)
    with db.session_scope(write=True) as session:
        uid = accounts.register(session, "op@example.com", "a long password!", role="operator").id
        totp = pyotp.TOTP(twofactor.pending_secret(session, ring, uid))
        assert twofactor.confirm_enrolment(session, ring, uid, totp.now(), utcnow())
    env = console_env(tmp_path / "var", DATABASE_URL=url, STOREFRONT_ENV="test")

    done = storefront("users", "reset-2fa", "OP@example.com", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "two-factor login reset for op@example.com" in done.stdout
    with db.session_scope() as session:
        assert not twofactor.is_enabled(session, uid)
        assert twofactor.status(session, uid).recovery_codes_left == 0

    again = storefront("users", "reset-2fa", "op@example.com", env=env, cwd=tmp_path)
    assert again.returncode == 0 and "nothing to reset" in again.stdout
    unknown = storefront("users", "reset-2fa", "nobody@example.com", env=env, cwd=tmp_path)
    assert unknown.returncode == 1 and "no account with e-mail nobody@example.com" in (
        unknown.stdout + unknown.stderr
    )
    db.dispose()
