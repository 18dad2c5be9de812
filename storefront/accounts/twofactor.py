"""The staff second factor: TOTP (RFC 6238) and one-time recovery codes.

The rules, each in one place here:

- **Enrolment** makes a random secret, kept sealed until a valid code proves the
  authenticator app has it; only then is 2FA on and ten recovery codes are made (shown once).
- **The secret is sealed** with AES-256-GCM under a sub-key of the newest ``DATA_KEYS`` key
  (HKDF, purpose ``staff-totp``), bound to the account (the customer id is the associated
  data, so a sealed secret copied to another row does not open); the stored value names its
  key id, so any key still in ``DATA_KEYS`` opens it.
- **A TOTP code** counts for the current 30-second step and one step either side (clock
  drift), and only for a step later than the last one accepted — so the same code cannot be
  used twice. The step is claimed by a conditional ``UPDATE``: two requests racing with one
  code cannot both win.
- **A recovery code** is ``xxxx-xxxxx-xxxxx``: the first group is a public selector (to
  find its row), the whole code is checked against an argon2id hash; each works once.
- **Fresh**: refunds, erasures and API tokens want a second factor from the last
  :data:`FRESH_SECONDS`.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storefront.accounts.twofactor_models import RecoveryCode, StaffTotp
from storefront.crypto import KeyRing, UnknownKey

FRESH_SECONDS = 600
RECOVERY_CODES = 10
STEP_SECONDS = 30
DRIFT_STEPS = 1
_PURPOSE = "staff-totp/aes-256-gcm"
_SALT = b"storefront staff totp"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt

#: Recovery codes carry ~70 random bits, so a lighter argon2id than passwords' is enough
#: (RFC 9106's second choice of parameters, as OWASP recommends): ten are made at once.
_recovery_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class SealError(ValueError):
    """A sealed secret that does not open (wrong account, tampered, or a foreign key)."""


# --- sealing -----------------------------------------------------------------------------------
def seal(ring: KeyRing, customer_id: int, secret: str) -> str:
    key = ring.newest
    nonce = os.urandom(12)
    box = AESGCM(key.derive(_PURPOSE, _SALT)).encrypt(
        nonce, secret.encode(), str(customer_id).encode()
    )
    return f"{key.id}:{base64.b64encode(nonce + box).decode('ascii')}"


def unseal(ring: KeyRing, customer_id: int, sealed: str) -> str:
    key_id, _, encoded = sealed.partition(":")
    try:
        raw = base64.b64decode(encoded, validate=True)
        plain = AESGCM(ring.get(key_id).derive(_PURPOSE, _SALT)).decrypt(
            raw[:12], raw[12:], str(customer_id).encode()
        )
    except UnknownKey as exc:
        raise SealError(f"the second-factor secret was sealed with a key gone: {exc}") from None
    except (InvalidTag, ValueError):
        raise SealError("the stored second-factor secret does not open for this account") from None
    return plain.decode()


def reseal_all(session: Session, ring: KeyRing) -> int:
    """Seal every secret again with the newest key (after a key rotation, before the old
    key is dropped); how many were sealed with an older one."""
    moved = 0
    for row in session.scalars(select(StaffTotp)):
        if row.sealed_secret.partition(":")[0] != ring.newest.id:
            row.sealed_secret = seal(
                ring, row.customer_id, unseal(ring, row.customer_id, row.sealed_secret)
            )
            moved += 1
    session.flush()
    return moved


# --- state -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Status:
    enabled: bool
    recovery_codes_left: int


def status(session: Session, customer_id: int) -> Status:
    row = session.get(StaffTotp, customer_id)
    left = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.customer_id == customer_id, RecoveryCode.used_at.is_(None))
    )
    return Status(
        enabled=row is not None and row.enabled_at is not None, recovery_codes_left=left or 0
    )


def is_enabled(session: Session, customer_id: int) -> bool:
    return (
        session.scalar(
            select(StaffTotp.customer_id).where(
                StaffTotp.customer_id == customer_id, StaffTotp.enabled_at.is_not(None)
            )
        )
        is not None
    )


def reset(session: Session, customer_id: int) -> bool:
    """Forget the factor and the codes (lost phone: the member enrols again). True if any."""
    removed = session.execute(delete(StaffTotp).where(StaffTotp.customer_id == customer_id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.customer_id == customer_id))
    return bool(getattr(removed, "rowcount", 0))


# --- enrolment ---------------------------------------------------------------------------------
def pending_secret(session: Session, ring: KeyRing, customer_id: int) -> str:
    """The secret to show on the enrolment page: the same one until it is confirmed."""
    row = session.get(StaffTotp, customer_id)
    if row is not None and row.enabled_at is not None:
        raise ValueError("two-factor login is already on for this account")
    if row is None:
        row = StaffTotp(customer_id=customer_id, sealed_secret="", last_step=0)
        session.add(row)
    else:
        try:
            return unseal(ring, customer_id, row.sealed_secret)
        except SealError:
            pass  # unreadable (e.g. its key was dropped): start over with a new secret
    secret = pyotp.random_base32()
    row.sealed_secret = seal(ring, customer_id, secret)
    session.flush()
    return secret


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def confirm_enrolment(
    session: Session, ring: KeyRing, customer_id: int, code: str, now: datetime
) -> list[str] | None:
    """Turn 2FA on if ``code`` matches the pending secret; the new recovery codes, or None."""
    row = session.get(StaffTotp, customer_id)
    if row is None or row.enabled_at is not None:
        return None
    if not _claim_totp(session, ring, row, code, now):
        return None
    row.enabled_at = now
    return new_recovery_codes(session, customer_id)


def new_recovery_codes(session: Session, customer_id: int) -> list[str]:
    """Replace every recovery code of the account with :data:`RECOVERY_CODES` new ones."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.customer_id == customer_id))
    codes: list[str] = []
    selectors: set[str] = set()
    while len(codes) < RECOVERY_CODES:
        parts = ["".join(secrets.choice(_ALPHABET) for _ in range(n)) for n in (4, 5, 5)]
        if parts[0] in selectors:
            continue
        selectors.add(parts[0])
        code = "-".join(parts)
        codes.append(code)
        session.add(
            RecoveryCode(
                customer_id=customer_id,
                selector=parts[0],
                code_hash=_recovery_hasher.hash(_normal(code)),
            )
        )
    session.flush()
    return codes


# --- verifying ---------------------------------------------------------------------------------
def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def looks_like_totp(code: str) -> bool:
    text = "".join(code.split())
    return len(text) == 6 and text.isascii() and text.isdigit()


def verify(
    session: Session, ring: KeyRing, customer_id: int, code: str, now: datetime
) -> Literal["totp", "recovery"] | None:
    """Which kind of second factor ``code`` is, if it is good now (and spend it); else None."""
    row = session.get(StaffTotp, customer_id)
    if row is None or row.enabled_at is None:
        return None
    if looks_like_totp(code):
        return "totp" if _claim_totp(session, ring, row, code, now) else None
    return "recovery" if _use_recovery_code(session, customer_id, code, now) else None


def _claim_totp(session: Session, ring: KeyRing, row: StaffTotp, code: str, now: datetime) -> bool:
    if not looks_like_totp(code):
        return False
    code = "".join(code.split())
    totp = pyotp.TOTP(unseal(ring, row.customer_id, row.sealed_secret), interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step <= row.last_step:
            continue  # that step's code was used already (or an older one): a replay
        if secrets.compare_digest(totp.generate_otp(step), code):
            claimed = session.execute(
                update(StaffTotp)
                .where(StaffTotp.customer_id == row.customer_id, StaffTotp.last_step < step)
                .values(last_step=step)
                .execution_options(synchronize_session=False)
            )
            session.refresh(row)
            return getattr(claimed, "rowcount", 0) == 1
    return False


def _use_recovery_code(session: Session, customer_id: int, code: str, now: datetime) -> bool:
    text = _normal(code)
    if len(text) != 14:
        return False
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.customer_id == customer_id,
            RecoveryCode.selector == text[:4],
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    try:
        _recovery_hasher.verify(row.code_hash, text)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(spent, "rowcount", 0) == 1
