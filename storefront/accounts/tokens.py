"""API tokens: issue, verify, list and revoke (database work only; no Flask here).

A token is ``sf_`` followed by 32 random bytes (URL-safe base64). We store only its SHA-256.
A slow password hash (argon2) exists to make guessing *low-entropy* secrets expensive; a
256-bit random token cannot be guessed, so a fast hash loses nothing and lets us find the
row with one indexed equality lookup on every request. Because the lookup compares hashes,
timing reveals nothing about the token itself; we still confirm with ``compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storefront.accounts.models import Customer
from storefront.accounts.roles import ROLE_RANK, ROLES
from storefront.accounts.token_models import ApiToken
from storefront.db import rows_matched, utcnow

TOKEN_PREFIX = "sf_"  # noqa: S105 - a public marker that secret scanners can match
TOKEN_BYTES = 32
PREFIX_CHARS = 8
#: last_used_at is a hint for operators, not an audit log: at most one write a minute.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """Base of the token service's refusals."""


class RoleTooHigh(TokenError):
    """A token may never carry more than its owner's own role."""


class UnknownRole(TokenError):
    pass


class TokenNotFound(TokenError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    """The stored row and the plaintext, which exists only here and is never stored."""

    token: ApiToken
    plaintext: str


@dataclass(frozen=True)
class VerifiedToken:
    token_id: int
    customer_id: int
    email: str
    role: str  # effective: the lower of the token's scope and the owner's role
    last_used_at: datetime | None

    def due_for_touch(self, now: datetime | None = None) -> bool:
        return self.last_used_at is None or self.last_used_at < (now or utcnow()) - TOUCH_EVERY


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def lower_role(a: str, b: str) -> str:
    return a if ROLE_RANK.get(a, 0) <= ROLE_RANK.get(b, 0) else b


def create_token(
    session: Session, customer: Customer, *, role: str = "customer", name: str = ""
) -> IssuedToken:
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if ROLE_RANK[role] > ROLE_RANK.get(customer.role, 0):
        raise RoleTooHigh(
            f"{customer.email} is a {customer.role}; a token cannot have the {role} role"
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        customer_id=customer.id,
        name=(name.strip() or "API token")[:80],
        role=role,
        token_prefix=plaintext[:PREFIX_CHARS],
        token_hash=hash_token(plaintext),
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, plaintext=plaintext)


def verify_token(session: Session, plaintext: str) -> VerifiedToken | None:
    """The owner and effective role of a live token, or None (unknown, revoked, owner gone)."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    digest = hash_token(plaintext)
    row = session.execute(
        select(ApiToken, Customer)
        .join(Customer, Customer.id == ApiToken.customer_id)
        .where(ApiToken.token_hash == digest)
    ).first()
    if row is None:
        return None
    token, customer = row
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or customer.anonymised_at is not None:
        return None
    return VerifiedToken(
        token_id=token.id,
        customer_id=customer.id,
        email=customer.email,
        role=lower_role(token.role, customer.role),
        last_used_at=token.last_used_at,
    )


def touch(session: Session, token_id: int, now: datetime | None = None) -> bool:
    """Record use, at most once per :data:`TOUCH_EVERY`; True when a row was written."""
    now = now or utcnow()
    matched = rows_matched(
        session,
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now),
    )
    return bool(matched)


def list_tokens(session: Session, *, customer_id: int | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.id)
    if customer_id is not None:
        stmt = stmt.where(ApiToken.customer_id == customer_id)
    return list(session.execute(stmt).scalars())


def revoke_token(session: Session, token_id: int, *, customer_id: int | None = None) -> ApiToken:
    """Revoke (idempotently); ``customer_id`` limits it to the caller's own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or (customer_id is not None and token.customer_id != customer_id):
        raise TokenNotFound(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
