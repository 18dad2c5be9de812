"""Accounts: register, authenticate, reset passwords, verify e-mail, link guest orders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.accounts.models import Customer
from storefront.accounts.passwords import (
    auth_version,
    hash_password,
    needs_rehash,
    verify_password,
)
from storefront.db import utcnow
from storefront.fieldcrypt import email_matches


class EmailTaken(Exception):
    pass


def find_by_email(session: Session, email: str) -> Customer | None:
    return session.execute(
        select(Customer).where(email_matches(session, Customer.email_index, email))
    ).scalar_one_or_none()


def register(
    session: Session, email: str, password: str, name: str | None = None, *, role: str = "customer"
) -> Customer:
    email = email.strip().lower()
    existing = find_by_email(session, email)
    if existing is not None and existing.password_hash is not None:
        raise EmailTaken(email)
    customer = existing or Customer(email=email)
    customer.password_hash = hash_password(password)
    customer.name = name
    customer.role = role
    session.add(customer)
    try:
        session.flush()
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    return customer


def authenticate(session: Session, email: str, password: str) -> Customer | None:
    customer = find_by_email(session, email)
    stored = customer.password_hash if customer else None
    if not verify_password(stored, password) or customer is None:
        return None
    if customer.anonymised_at is not None:
        return None
    if needs_rehash(stored or ""):
        customer.password_hash = hash_password(password)
    customer.last_login_at = utcnow()
    return customer


def set_password(customer: Customer, password: str) -> None:
    customer.password_hash = hash_password(password)


def session_version(customer: Customer) -> str:
    return auth_version(customer.password_hash)


def mark_email_verified(session: Session, customer: Customer) -> None:
    """The customer proved they own the address (the link in the e-mail worked)."""
    if customer.email_verified_at is None:
        customer.email_verified_at = utcnow()
