"""Alembic environment: the URL comes from the caller (``storefront db …``), never a file."""

from typing import Any

from alembic import context
from sqlalchemy import Connection, event

from storefront.models import metadata

config = context.config


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from storefront.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic was given neither a connection nor sqlalchemy.url")
        engine = make_engine(url)
        if engine.dialect.name == "sqlite":
            # SQLite alters a table by copying it and dropping the old one; with foreign keys
            # enforced, that drop would cascade to (delete) every row that refers to it.
            event.listen(engine, "connect", _foreign_keys_off)
        with engine.connect() as connection:
            _run(connection)
            if engine.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left broken foreign keys: {broken[:5]}")
        engine.dispose()
    else:
        _run(connectable)


def _foreign_keys_off(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, or it does nothing
    cursor.close()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
