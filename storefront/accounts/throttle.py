"""Growing delays after wrong guesses, counted per account and per address.

A guesser is slowed, never locked out for good: after ``free`` wrong answers each further
one makes the key wait ``first_delay`` seconds, doubling up to ``max_delay``; a success
clears the account's count; a key without failures for ``forget_after`` starts afresh.
Counting per account stops a guesser who spreads over many addresses; counting per address
(more leniently: an office or a phone network shares one) stops one address trying many
accounts — and because a delay is not a lock, the owner is only ever made to wait.

The counts live in the database (``auth_failures``), so every web process sees them.
Refused attempts are not counted (they were not tried), so waiting out a delay is enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from storefront.db import Base


class AuthFailure(Base):
    __tablename__ = "auth_failures"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


@dataclass(frozen=True)
class Policy:
    free: int
    first_delay: float = 5.0
    max_delay: float = 900.0
    forget_after: float = 86400.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th wrong answer in a row."""
        if failures < self.free:
            return 0.0
        return float(min(self.first_delay * 2 ** (failures - self.free), self.max_delay))


#: One account: 3 wrong codes free, then 5 s, 10 s, 20 s … up to 15 minutes.
PER_ACCOUNT = Policy(free=3)
#: One address: 10 free (several staff behind one office address), then the same curve.
PER_ADDRESS = Policy(free=10)


#: Passwords, one account: 5 wrong ones free, then 5 s, 10 s, 20 s … up to 15 minutes.
LOGIN_PER_ACCOUNT = Policy(free=5)
#: Passwords, one address: 10 free (an office or a phone network shares an address), and
#: forgotten after an hour without failures, so a busy office is not slowed all day.
LOGIN_PER_ADDRESS = Policy(free=10, forget_after=3600.0)


@dataclass(frozen=True)
class Key:
    name: str
    policy: Policy


def login_keys(email_index: str, address: str | None) -> tuple[Key, Key]:
    """The account is named by its e-mail's blind index, so an address with no account
    is throttled exactly like one with an account (the delays tell nothing)."""
    return (
        Key(f"login:email:{email_index}"[:160], LOGIN_PER_ACCOUNT),
        Key(f"login:address:{address or 'unknown'}"[:160], LOGIN_PER_ADDRESS),
    )


def keys_for(purpose: str, account_id: int, address: str | None) -> tuple[Key, Key]:
    return (
        Key(f"{purpose}:account:{account_id}", PER_ACCOUNT),
        Key(f"{purpose}:address:{address or 'unknown'}"[:160], PER_ADDRESS),
    )


def wait_seconds(session: Session, keys: Iterable[Key], now: datetime) -> float:
    """How long until another attempt may be tried (0: now)."""
    names = [k.name for k in keys]
    blocked = session.scalars(
        select(AuthFailure.blocked_until).where(
            AuthFailure.key.in_(names), AuthFailure.blocked_until > now
        )
    ).all()
    return max(((b - now).total_seconds() for b in blocked if b is not None), default=0.0)


def record_failure(session: Session, keys: Iterable[Key], now: datetime) -> None:
    """Count a wrong answer against every key, atomically (concurrent guesses all count)."""
    for key in keys:
        stale = now - timedelta(seconds=key.policy.forget_after)
        insert = (
            postgresql.insert(AuthFailure)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(AuthFailure)
        )
        stmt = insert.values(key=key.name, failures=1, last_failure_at=now, blocked_until=None)
        stmt = stmt.on_conflict_do_update(
            index_elements=[AuthFailure.key],
            set_={
                "failures": case(
                    (AuthFailure.last_failure_at < stale, 1), else_=AuthFailure.failures + 1
                ),
                "last_failure_at": now,
            },
        )
        session.execute(stmt)
        row = session.get_one(AuthFailure, key.name, populate_existing=True)
        delay = key.policy.delay(row.failures)
        row.blocked_until = now + timedelta(seconds=delay) if delay else None
    session.flush()


def failures(session: Session, key: Key) -> int:
    return session.scalar(select(AuthFailure.failures).where(AuthFailure.key == key.name)) or 0


def clear(session: Session, key: Key) -> None:
    """A right answer: the account starts afresh (the address keeps its count)."""
    session.execute(delete(AuthFailure).where(AuthFailure.key == key.name))
