"""``storefront users create-admin`` and ``storefront tokens …`` on a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from storefront import migrate
from storefront.accounts import services, tokens
from storefront.accounts.models import Customer
from storefront.accounts.passwords import verify_password
from storefront.accounts.token_models import ApiToken
from storefront.db import Database, make_engine
from storefront.users_cli import tokens as tokens_cli
from storefront.users_cli import users as users_cli

PASSWORD = "a long admin password"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STOREFRONT_ENV", "test")
    return url


def _customer(url: str, email: str) -> Customer | None:
    db = Database(url)
    with db.session_scope() as session:
        found = services.find_by_email(session, email)
    db.dispose()
    return found


def test_create_admin_with_prompted_password(database_url: str) -> None:
    result = CliRunner().invoke(
        users_cli, ["create-admin", "Root@Example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "created root@example.com" in result.output and "role admin" in result.output
    assert PASSWORD not in result.output
    admin = _customer(database_url, "root@example.com")
    assert admin is not None and admin.role == "admin"
    assert verify_password(admin.password_hash, PASSWORD)


def test_prompt_needs_the_same_password_twice(database_url: str) -> None:
    result = CliRunner().invoke(
        users_cli,
        ["create-admin", "ops@example.com", "--role", "operator"],
        input=f"{PASSWORD}\ndifferent password!\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    operator = _customer(database_url, "ops@example.com")
    assert operator is not None and operator.role == "operator"


def test_password_from_stdin_and_its_rules(database_url: str) -> None:
    runner = CliRunner()
    weak = runner.invoke(
        users_cli, ["create-admin", "a@example.com", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 2
    assert "at least 10 characters" in weak.output
    assert _customer(database_url, "a@example.com") is None
    bad_email = runner.invoke(
        users_cli, ["create-admin", "nope", "--password-stdin"], input=PASSWORD
    )
    assert bad_email.exit_code == 2 and "email" in bad_email.output.lower()
    ok = runner.invoke(
        users_cli, ["create-admin", "a@example.com", "--password-stdin"], input=PASSWORD
    )
    assert ok.exit_code == 0, ok.output


def test_existing_customer_is_promoted_and_keeps_the_password(database_url: str) -> None:
    db = Database(database_url)
    with db.session_scope(write=True) as session:
        services.register(session, "shopper@example.com", "shopper password")
    db.dispose()
    result = CliRunner().invoke(
        users_cli, ["create-admin", "shopper@example.com", "--role", "operator"]
    )
    assert result.exit_code == 0, result.output
    assert "updated shopper@example.com" in result.output
    promoted = _customer(database_url, "shopper@example.com")
    assert promoted is not None and promoted.role == "operator"
    assert verify_password(promoted.password_hash, "shopper password")


def test_tokens_create_list_revoke(database_url: str) -> None:
    runner = CliRunner()
    runner.invoke(
        users_cli,
        ["create-admin", "ops@example.com", "--role", "operator", "--password-stdin"],
        input=PASSWORD,
    )
    created = runner.invoke(
        tokens_cli,
        ["create", "--email", "ops@example.com", "--role", "operator", "--name", "fulfilment bot"],
    )
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip()
    assert plaintext.startswith("sf_") and "\n" not in plaintext
    assert "not shown again" in created.stderr

    db = Database(database_url)
    with db.session_scope() as session:
        verified = tokens.verify_token(session, plaintext)
        assert verified is not None and verified.role == "operator"

    listing = runner.invoke(tokens_cli, ["list"])
    assert listing.exit_code == 0
    assert "ops@example.com\toperator\t" + plaintext[:8] in listing.output
    assert plaintext not in listing.output and "fulfilment bot" in listing.output
    token_id = listing.output.splitlines()[1].split("\t")[0]

    revoked = runner.invoke(tokens_cli, ["revoke", token_id])
    assert revoked.exit_code == 0 and "revoked token" in revoked.output
    with db.session_scope() as session:
        assert tokens.verify_token(session, plaintext) is None
    db.dispose()
    assert "revoked" in runner.invoke(tokens_cli, ["list", "--email", "ops@example.com"]).output
    assert (
        runner.invoke(tokens_cli, ["list", "--email", "x@example.com"]).output == "no API tokens\n"
    )
    missing = runner.invoke(tokens_cli, ["revoke", "999"])
    assert missing.exit_code == 1 and "no API token with id 999" in missing.output


def test_operator_token_for_a_customer_is_refused(database_url: str) -> None:
    db = Database(database_url)
    with db.session_scope(write=True) as session:
        services.register(session, "shopper@example.com", "shopper password")
    runner = CliRunner()
    result = runner.invoke(
        tokens_cli, ["create", "--email", "shopper@example.com", "--role", "operator"]
    )
    assert result.exit_code == 1
    assert "cannot have the operator role" in result.output
    unknown = runner.invoke(tokens_cli, ["create", "--email", "ghost@example.com"])
    assert unknown.exit_code == 1 and "no account" in unknown.output
    with db.session_scope() as session:
        assert session.execute(select(ApiToken)).first() is None
    db.dispose()


def test_migration_0003_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0003")
    engine = make_engine(url)
    (fk,) = inspect(engine).get_foreign_keys("api_tokens")
    assert fk["referred_table"] == "customers" and fk["options"].get("ondelete") == "CASCADE"
    assert {i["name"] for i in inspect(engine).get_indexes("api_tokens")} >= {
        "ix_api_tokens_customer_id"
    }
    engine.dispose()
    migrate.downgrade(url, "0002")
    engine = make_engine(url)
    assert "api_tokens" not in inspect(engine).get_table_names()
    engine.dispose()


def test_guest_without_password_gets_one(database_url: str) -> None:
    db = Database(database_url)
    with db.session_scope(write=True) as session:
        session.add(Customer(email="guest@example.com", role="customer"))
    db.dispose()
    result = CliRunner().invoke(
        users_cli, ["create-admin", "guest@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output  # prompted even without --password-stdin
    guest = _customer(database_url, "guest@example.com")
    assert guest is not None and guest.role == "admin"
    assert verify_password(guest.password_hash, PASSWORD)
