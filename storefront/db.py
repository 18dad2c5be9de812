"""Database access: SQLAlchemy 2 engine, sessions and the declarative base.

How sessions are scoped: one :class:`Database` per app; every unit of work (a request step,
a job step) opens ``with db.session_scope():``, one transaction that commits on success and
rolls back on error. **A thread holds at most one session at a time**: opening a second
while one is open raises :class:`NestedSession`, because each open session pins a pooled
connection (and, with ``write=True`` on SQLite, the database's write lock) — a request
holding two could starve the pool under load. So a request reads what it needs (the cart,
the catalog, prices) in short read sessions, does any network I/O with no session open,
and then writes in one short write transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    CursorResult,
    DateTime,
    Delete,
    Engine,
    Integer,
    MetaData,
    Update,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from storefront.fieldcrypt import FieldCipher, attach, development_cipher, has_cipher

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite too (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # BIGINT everywhere, but INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
    type_annotation_map = {
        datetime: UTCDateTime(),
        int: BigInteger().with_variant(Integer(), "sqlite"),
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Engine with the pragmas SQLite needs for a web app (WAL, foreign keys, busy wait)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's BEGIN be the real transaction start (pysqlite's own handling
            # would defer it), so BEGIN IMMEDIATE can take the write lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class NestedSession(RuntimeError):
    """A session was opened while this thread already held one (see the module docstring)."""


class Database:
    """Flask extension holding the engine and a session factory.

    ``cipher`` seals personal data (:mod:`storefront.fieldcrypt`); the app passes the one of
    ``DATA_KEYS``. Without it the development keys are used, as the settings would outside
    production.
    """

    def __init__(
        self, url: str, *, engine: Engine | None = None, cipher: FieldCipher | None = None
    ) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        if cipher is not None or not has_cipher(self.engine):
            attach(self.engine, cipher or development_cipher())
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessionmaker = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        # Where this thread (context) opened its session, if it holds one.
        self._held: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            f"db_session_{id(self)}", default=None
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def session_scope(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        ``write=True`` takes SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``), so
        read-then-write transactions serialise instead of failing with "database is locked".
        """
        held = self._held.get()
        if held is not None:
            raise NestedSession("this thread already holds a database session, opened at " + held)
        caller = sys._getframe(2)  # 0: this generator, 1: contextlib's __enter__
        where = f"{caller.f_code.co_filename}:{caller.f_lineno} in {caller.f_code.co_name}"
        marker = self._held.set(where)
        factory = self._write_sessionmaker if write else self.sessionmaker
        try:
            with factory() as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            self._held.reset(marker)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


def insert_or_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row is new.

    The unique constraints decide: this is how "exactly once" is enforced under concurrency
    (two deliveries of one webhook, two enqueues of one outbox entry) on both databases.
    """
    pk = inspect(model).primary_key[0]
    stmt: postgresql.Insert | sqlite.Insert
    if session.get_bind().dialect.name == "postgresql":
        stmt = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    return session.execute(stmt.returning(pk)).first() is not None


def rows_matched(session: Session, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched.

    SQLAlchemy types ``Session.execute`` as returning a plain ``Result`` whatever the
    statement, but for DML it is always a ``CursorResult``, the kind that has a row count.
    """
    result = session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"expected a CursorResult from {statement!r}, got {result!r}")
    return result.rowcount
