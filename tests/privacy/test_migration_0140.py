"""Migration 0140 seals the personal data of rows written before it, on SQLite and
PostgreSQL, makes their blind indexes, and opens them again on the way down."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from storefront import migrate
from storefront.accounts import services as accounts
from storefront.accounts.models import Address
from storefront.crypto import KeyRing
from storefront.db import Database, make_engine
from storefront.fieldcrypt import FieldCipher
from storefront.newsletter import services as newsletter
from storefront.orders.models import Order
from storefront.outbox.models import OutboxEntry
from tests.support.fieldcrypt import key
from tests.support.postgres import create_database

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
STAMPS = {"created_at": NOW, "updated_at": NOW}
SHIPPING = {"first_name": "Ada", "last_name": "Lovelace", "phone": "+49 30 1234567"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url_at_0005(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = create_database(request.getfixturevalue("pg_server"), "migration_0140")
    migrate.upgrade(url, "0005")
    return url


def _plaintext_rows(url: str) -> None:
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        conn.execute(
            t["customers"]
            .insert()
            .values(id=1, email="ada@example.com", name="Ada Lovelace", role="customer", **STAMPS)
        )
        conn.execute(
            t["addresses"]
            .insert()
            .values(
                id=1,
                customer_id=1,
                first_name="Ada",
                last_name="Lovelace",
                line1="Kastanienallee 1",
                city="Berlin",
                post_code="10435",
                country="DE",
                phone="+49 30 1234567",
                is_default=True,
                **STAMPS,
            )
        )
        conn.execute(
            t["orders"]
            .insert()
            .values(
                id=1,
                number="SF-OLD-1",
                customer_id=1,
                email="ada@example.com",
                status="paid",
                currency="EUR",
                subtotal_amount=2900,
                shipping_amount=495,
                total_amount=3395,
                refunded_amount=0,
                shipping_address=SHIPPING,
                **STAMPS,
            )
        )
        conn.execute(
            t["newsletter_subscribers"]
            .insert()
            .values(id=1, email="ada@example.com", status="subscribed", **STAMPS)
        )
        conn.execute(
            t["outbox"]
            .insert()
            .values(
                id=1,
                topic="mail.send",
                key="welcome:1",
                payload={"to": "ada@example.com"},
                status="done",
                attempts=1,
                available_at=NOW,
                **STAMPS,
            )
        )
        conn.execute(t["webhook_events"].insert().values(
            id=1, provider="stripe", event_id="evt_1", event_type="checkout.session.completed",
            outcome="processed", payload={"customer_email": "ada@example.com"}, received_at=NOW,
        ))  # fmt: skip
    engine.dispose()


def _raw(url: str) -> str:
    """Every stored value of the personal-data tables, as one text."""
    engine = make_engine(url)
    tables = ("customers", "addresses", "orders", "newsletter_subscribers", "outbox",
              "webhook_events")  # fmt: skip
    with engine.connect() as conn:
        text = " ".join(
            str(tuple(row))
            for name in tables
            for row in conn.execute(sa.select(sa.text("*")).select_from(sa.table(name)))
        )
    engine.dispose()
    return text


def test_rows_from_before_are_sealed_found_and_opened_again(url_at_0005: str) -> None:
    url = url_at_0005
    _plaintext_rows(url)
    cipher = FieldCipher(KeyRing.parse(key("m1")))
    migrate.upgrade(url, cipher=cipher)

    raw = _raw(url)
    for plain in ("ada@example.com", "Lovelace", "Kastanienallee", "1234567"):
        assert plain not in raw
    assert "v1:m1:" in raw and "DE" in raw  # the country stays readable

    db = Database(url, cipher=cipher)
    with db.session_scope() as session:
        customer = accounts.find_by_email(session, "ADA@example.com")
        assert customer is not None and customer.name == "Ada Lovelace"
        assert session.get(Address, 1).line1 == "Kastanienallee 1"  # type: ignore[union-attr]
        order = session.get_one(Order, 1)
        assert order.shipping_address == SHIPPING
        assert order.customer_id == 1  # SQLite's table copies cascaded to nothing
        assert newsletter.find(session, "ada@example.com") is not None
        assert session.get_one(OutboxEntry, 1).payload == {"to": "ada@example.com"}
    db.dispose()

    migrate.downgrade(url, "0005", cipher=cipher)
    raw = _raw(url)
    assert "ada@example.com" in raw and "Kastanienallee 1" in raw and "v1:" not in raw
