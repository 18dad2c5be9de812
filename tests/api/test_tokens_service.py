"""The token service on SQLite and PostgreSQL: issue, verify, scope, touch, revoke."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.accounts import services, tokens
from storefront.accounts.models import Customer
from storefront.accounts.token_models import ApiToken
from storefront.db import Database, utcnow


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _customer(db: Database, email: str, role: str = "customer") -> Customer:
    with db.session_scope(write=True) as session:
        return services.register(session, email, "long enough password", role=role)


def test_issue_and_verify(db: Database) -> None:
    owner = _customer(db, "ada@example.com")
    with db.session_scope(write=True) as session:
        issued = tokens.create_token(session, owner, name="  laptop  ")
    assert issued.plaintext.startswith("sf_") and len(issued.plaintext) >= 43
    with db.session_scope() as session:
        row = session.execute(select(ApiToken)).scalar_one()
        verified = tokens.verify_token(session, issued.plaintext)
    assert row.token_hash == tokens.hash_token(issued.plaintext)
    assert issued.plaintext not in (row.token_hash, row.token_prefix, row.name)
    assert row.token_prefix == issued.plaintext[:8] and row.name == "laptop"
    assert verified is not None
    assert (verified.customer_id, verified.email, verified.role) == (
        owner.id,
        owner.email,
        "customer",
    )


def test_tokens_are_unique_and_wrong_ones_fail(db: Database) -> None:
    owner = _customer(db, "ada@example.com")
    with db.session_scope(write=True) as session:
        a = tokens.create_token(session, owner).plaintext
        b = tokens.create_token(session, owner).plaintext
    assert a != b
    with db.session_scope() as session:
        assert tokens.verify_token(session, a[:-1]) is None
        assert tokens.verify_token(session, a + "x") is None
        assert tokens.verify_token(session, "not-ours-" + a) is None
        assert tokens.verify_token(session, "") is None
        assert tokens.verify_token(session, "sf_" + "x" * 500) is None


@pytest.mark.parametrize(
    ("account_role", "token_role", "allowed"),
    [
        ("customer", "customer", True),
        ("customer", "operator", False),
        ("customer", "admin", False),
        ("operator", "operator", True),
        ("operator", "admin", False),
        ("admin", "admin", True),
        ("admin", "customer", True),
    ],
)
def test_token_role_never_above_the_account(
    db: Database, account_role: str, token_role: str, allowed: bool
) -> None:
    owner = _customer(db, "ada@example.com", role=account_role)
    with db.session_scope(write=True) as session:
        if allowed:
            tokens.create_token(session, owner, role=token_role)
        else:
            with pytest.raises(tokens.RoleTooHigh):
                tokens.create_token(session, owner, role=token_role)
    with db.session_scope() as session:
        assert len(tokens.list_tokens(session)) == (1 if allowed else 0)


def test_unknown_role_is_refused(db: Database) -> None:
    owner = _customer(db, "ada@example.com", role="admin")
    with db.session_scope(write=True) as session, pytest.raises(tokens.UnknownRole):
        tokens.create_token(session, owner, role="root")


def test_touch_writes_at_most_once_a_minute(db: Database) -> None:
    owner = _customer(db, "ada@example.com")
    with db.session_scope(write=True) as session:
        token_id = tokens.create_token(session, owner).token.id
    now = utcnow()
    with db.session_scope(write=True) as session:
        assert tokens.touch(session, token_id, now) is True
        assert tokens.touch(session, token_id, now + timedelta(seconds=30)) is False
        assert tokens.touch(session, token_id, now + timedelta(seconds=61)) is True


def test_revoke_list_and_ownership(db: Database) -> None:
    ada = _customer(db, "ada@example.com")
    bob = _customer(db, "bob@example.com")
    with db.session_scope(write=True) as session:
        ada_token = tokens.create_token(session, ada)
        tokens.create_token(session, bob)
    with db.session_scope(write=True) as session:
        with pytest.raises(tokens.TokenNotFound):
            tokens.revoke_token(session, ada_token.token.id, customer_id=bob.id)
        with pytest.raises(tokens.TokenNotFound):
            tokens.revoke_token(session, 10_000)
        first = tokens.revoke_token(session, ada_token.token.id, customer_id=ada.id).revoked_at
    with db.session_scope(write=True) as session:
        again = tokens.revoke_token(session, ada_token.token.id)
        assert again.revoked_at == first  # idempotent: the first revocation time stays
    with db.session_scope() as session:
        assert tokens.verify_token(session, ada_token.plaintext) is None
        assert [t.customer_id for t in tokens.list_tokens(session, customer_id=ada.id)] == [ada.id]
        assert len(tokens.list_tokens(session)) == 2


def test_lower_role() -> None:
    assert tokens.lower_role("admin", "customer") == "customer"
    assert tokens.lower_role("operator", "admin") == "operator"
    assert tokens.lower_role("admin", "admin") == "admin"
