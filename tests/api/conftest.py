"""Fixtures of the /api/v1 tests: the app with the API mounted, accounts, tokens, logins."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

import storefront.accounts.token_models  # noqa: F401 - registers api_tokens until storefront.models does
from storefront.accounts import services as accounts
from storefront.accounts import tokens
from storefront.container import services
from storefront.web import api

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: str
    auth_version: str


@pytest.fixture
def app(app: Flask) -> Flask:
    """The shop app with /api/v1 mounted (a no-op once create_app does it itself)."""
    api.init_app(app)
    services(app).mail_delivery = "off"
    return app


def make_account(app: Flask, email: str, role: str = "customer") -> Account:
    with services(app).db.session_scope(write=True) as session:
        customer = accounts.register(session, email, PASSWORD, "Test Person", role=role)
        return Account(customer.id, customer.email, role, accounts.session_version(customer))


def issue_token(app: Flask, account: Account, role: str = "customer", name: str = "t") -> str:
    with services(app).db.session_scope(write=True) as session:
        customer = accounts.find_by_email(session, account.email)
        assert customer is not None
        return tokens.create_token(session, customer, role=role, name=name).plaintext


def log_in(client: FlaskClient, account: Account) -> None:
    """What a successful web login leaves in the session cookie."""
    with client.session_transaction() as cookie:
        cookie["uid"] = account.id
        cookie["av"] = account.auth_version


def csrf_token(client: FlaskClient) -> str:
    response = client.get("/api/v1/csrf-token")
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def customer(app: Flask) -> Account:
    return make_account(app, "ada@example.com")


@pytest.fixture
def operator(app: Flask) -> Account:
    return make_account(app, "olive@example.com", role="operator")
