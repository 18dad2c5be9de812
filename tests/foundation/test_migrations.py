"""Migrations apply to an empty SQLite and an empty PostgreSQL, downgrade, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storefront import migrate
from storefront.db import make_engine
from storefront.models import metadata
from tests.support.postgres import create_database

TABLES = {
    "customers",
    "addresses",
    "carts",
    "cart_items",
    "orders",
    "order_items",
    "order_events",
    "payments",
    "refunds",
    "reservations",
    "stock_counters",
    "webhook_events",
    "outbox",
    "newsletter_subscribers",
    "job_runs",
    "leases",
    "api_tokens",
    "gelato_orders",
    "content_invalidations",
    "parcels",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    server = request.getfixturevalue("pg_server")
    return create_database(server, f"migrations_{abs(hash(request.node.name)) % 10**8}")


def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    migrate.upgrade(empty_db_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert migrate.is_up_to_date(engine)

    migrate.downgrade(empty_db_url, "base")
    engine.dispose()
    engine = make_engine(empty_db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(empty_db_url)
    engine.dispose()
    engine = make_engine(empty_db_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    engine.dispose()
    assert diff == [], f"models differ from migrations: {diff}"


def test_money_columns_are_integers(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    cols = {c["name"]: c for c in inspect(engine).get_columns("orders")}
    engine.dispose()
    for name in ("subtotal_amount", "shipping_amount", "total_amount", "refunded_amount"):
        assert "INT" in str(cols[name]["type"]).upper(), name
    assert "CHAR" in str(cols["currency"]["type"]).upper()
