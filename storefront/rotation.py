"""Re-encrypting personal data with the newest data key: what ``storefront keys`` runs.

Every sealed column (:class:`~storefront.fieldcrypt.EncryptedText`, ``EncryptedJSON``) and
every blind index names its key, so "what still needs the newest key" is a question SQL
can answer (the value does not start with ``v1:<newest>:``). :func:`rotate` works through
those rows table by table in batches, each batch one short transaction: stopping it at
any point (Ctrl-C, a crash, ``max_batches``) loses nothing, and running it again carries
on where it stopped. A row the shop rewrites meanwhile is sealed with the newest key
anyway, and the batch's UPDATE only replaces the very value it read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import ColumnElement, MetaData, TableClause, func, or_

from storefront.db import Database
from storefront.fieldcrypt import (
    BLIND_INDEXES,
    VERSION,
    EncryptedBytes,
    EncryptedJSON,
    EncryptedText,
    FieldCipher,
)

DEFAULT_BATCH = 200


@dataclass(frozen=True)
class Column:
    """A column holding sealed values, or a blind index (made from ``source``)."""

    table: str
    name: str
    source: str | None = None

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"

    def prefix(self, key_id: str) -> str:
        return f"{key_id}:" if self.source else f"{VERSION}:{key_id}:"


def columns(metadata: MetaData) -> list[Column]:
    """Every sealed column and blind index of the schema."""
    found = [
        Column(table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText | EncryptedJSON | EncryptedBytes)
    ]
    found += [Column(table, target, source) for table, source, target in BLIND_INDEXES]
    return found


def _starts(col: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    return func.substr(col, 1, len(prefix)) == prefix


def _stale(col: ColumnElement[str], column: Column, newest: str) -> ColumnElement[bool]:
    return col.is_not(None) & ~_starts(col, column.prefix(newest))


def _raw(table: str, names: list[str]) -> TableClause:
    """The table as plain text columns: the stored values, not opened."""
    return sa.table(table, sa.column("id", sa.Integer), *(sa.column(n, sa.Text) for n in names))


# --- status ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnStatus:
    column: Column
    by_key: dict[str, int]
    #: Values that name no key of DATA_KEYS: they cannot be opened until it lists it again.
    unknown: int


def status(db: Database, cipher: FieldCipher, metadata: MetaData) -> list[ColumnStatus]:
    result = []
    with db.session_scope() as session:
        for column in columns(metadata):
            t = _raw(column.table, [column.name])
            col = t.c[column.name]
            counts = [func.count().filter(_starts(col, column.prefix(k))) for k in cipher.ring.ids]
            row = session.execute(sa.select(func.count(col), *counts).select_from(t)).one()
            by_key = dict(zip(cipher.ring.ids, row[1:], strict=True))
            result.append(ColumnStatus(column, by_key, row[0] - sum(by_key.values())))
    return result


# --- rotation -----------------------------------------------------------------------------------
def pending(db: Database, cipher: FieldCipher, metadata: MetaData) -> int:
    """How many values are not yet under the newest key."""
    newest = cipher.ring.newest.id
    total = 0
    with db.session_scope() as session:
        for column in columns(metadata):
            t = _raw(column.table, [column.name])
            stale = _stale(t.c[column.name], column, newest)
            total += session.scalar(sa.select(func.count()).select_from(t).where(stale)) or 0
    return total


def _by_table(metadata: MetaData) -> Iterator[tuple[str, list[Column]]]:
    grouped: dict[str, list[Column]] = defaultdict(list)
    for column in columns(metadata):
        grouped[column.table].append(column)
    yield from grouped.items()


def rotate(
    db: Database,
    cipher: FieldCipher,
    metadata: MetaData,
    *,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    on_batch: Callable[[int], None] = lambda _changed: None,
) -> int:
    """Re-seal every value (and recompute every blind index) not yet under the newest key;
    returns how many values changed. ``on_batch(n)`` follows each committed batch."""
    newest = cipher.ring.newest.id
    changed = batches = 0
    for table, cols in _by_table(metadata):
        names = [c.name for c in cols] + [c.source for c in cols if c.source]
        t = _raw(table, list(dict.fromkeys(names)))
        stale = or_(*(_stale(t.c[c.name], c, newest) for c in cols))
        last = 0
        while max_batches is None or batches < max_batches:
            with db.session_scope(write=True) as session:
                rows = session.execute(
                    sa.select(t).where(stale, t.c.id > last).order_by(t.c.id).limit(batch_size)
                ).all()
                if not rows:
                    break
                done = 0
                for row in rows:
                    old = row._mapping
                    new = _resealed(cipher, cols, old, newest)
                    if new:
                        guard = [t.c[name] == old[name] for name in new]
                        session.execute(sa.update(t).where(t.c.id == row.id, *guard).values(new))
                        done += len(new)
                last = rows[-1].id
            batches += 1
            changed += done
            on_batch(done)
    return changed


def _resealed(
    cipher: FieldCipher, cols: list[Column], old: sa.RowMapping, newest: str
) -> dict[str, str]:
    new = {}
    for c in cols:
        value = old[c.name]
        if value is None or value.startswith(c.prefix(newest)):
            continue
        if c.source:
            new[c.name] = cipher.blind_index(cipher.decrypt(old[c.source]))
        else:
            new[c.name] = cipher.reencrypt(value)
    return new
