"""Gapless sequential numbers per kind and year (``INV-2026-000001``)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from storefront.db import insert_or_ignore
from storefront.invoices.models import DocumentCounter

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


def next_number(session: Session, kind: str, year: int) -> str:
    """The next number, taken in the caller's transaction (the counter row stays locked until
    it commits or rolls back, so concurrent issuers queue and never skip or repeat)."""
    insert_or_ignore(session, DocumentCounter, {"kind": kind, "year": year, "last": 0})
    taken = session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{PREFIXES[kind]}-{year}-{taken:06d}"
