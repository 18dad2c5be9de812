"""personal data encrypted at rest, e-mails found by a blind index

Names, e-mails, phone numbers and addresses (customers, saved addresses, orders, newsletter
subscribers) and the stored webhook and outbox payloads become sealed text (see
``storefront.fieldcrypt``); e-mail lookups move from the plaintext column to a blind index.
Rows written before are sealed here with the newest key of ``DATA_KEYS`` (what
``storefront db upgrade`` hands over; else the settings of the environment). The downgrade
opens them again.

Revision ID: 0140
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from storefront.config import load_settings
from storefront.fieldcrypt import FieldCipher, FieldCryptError

revision: str = "0140"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS_FIELDS = (
    ("first_name", 25),
    ("last_name", 25),
    ("company", 60),
    ("line1", 35),
    ("line2", 35),
    ("city", 30),
    ("post_code", 15),
    ("state", 35),
    ("phone", 25),
)
#: table -> sealed columns (the e-mail first where there is a blind index).
SEALED = {
    "customers": ("email", "name"),
    "addresses": tuple(name for name, _ in ADDRESS_FIELDS),
    "orders": ("email", "shipping_address"),
    "newsletter_subscribers": ("email",),
    "webhook_events": ("payload",),
    "outbox": ("payload",),
}
INDEXED = ("customers", "orders", "newsletter_subscribers")
BATCH = 500


_found: list[FieldCipher] = []


def _cipher() -> FieldCipher:
    """Asked for only when a row needs it, so an empty database needs no settings."""
    if not _found:
        given = context.config.attributes.get("field_cipher")
        _found.append(given if given is not None else load_settings().field_cipher)
    return _found[0]


def _is_sealed(value: str) -> bool:
    parts = value.split(":", 2)
    return len(parts) == 3 and parts[0] == "v1" and parts[1] in _cipher().ring


def _rewrite(table: str, columns: Sequence[str], change: Callable[[str, str], str]) -> None:
    """Apply ``change(column, value)`` to every non-NULL value, in batches by id."""
    cols = [sa.column("id", sa.Integer)] + [sa.column(c, sa.Text) for c in columns]
    t = sa.table(table, *cols)
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(*t.c).where(t.c.id > last).order_by(t.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            values = {c: change(c, row._mapping[c]) for c in columns if row._mapping[c] is not None}
            if values:
                conn.execute(sa.update(t).where(t.c.id == row.id).values(**values))
        last = rows[-1].id


def _seal(column: str, value: str) -> str:
    return value if _is_sealed(value) else _cipher().encrypt(value)


def _open(column: str, value: str) -> str:
    try:
        return _cipher().decrypt(value)
    except FieldCryptError:
        return value  # never sealed


def _to_text(batch_op: Any, column: str, was: Any) -> None:
    kwargs = {}
    if isinstance(was, sa.JSON):
        kwargs["postgresql_using"] = f"{column}::text"
    batch_op.alter_column(column, existing_type=was, type_=sa.Text(), **kwargs)


def upgrade() -> None:
    _found.clear()
    with op.batch_alter_table("customers") as b:
        b.drop_constraint("uq_customers_email", type_="unique")
        _to_text(b, "email", sa.String(254))
        _to_text(b, "name", sa.String(120))
        b.add_column(sa.Column("email_index", sa.String(80), nullable=True))
    with op.batch_alter_table("addresses") as b:
        for name, length in ADDRESS_FIELDS:
            _to_text(b, name, sa.String(length))
    with op.batch_alter_table("orders") as b:
        b.drop_index("ix_orders_email")
        _to_text(b, "email", sa.String(254))
        _to_text(b, "shipping_address", sa.JSON())
        b.add_column(sa.Column("email_index", sa.String(80), nullable=True))
    with op.batch_alter_table("newsletter_subscribers") as b:
        b.drop_constraint("uq_newsletter_subscribers_email", type_="unique")
        _to_text(b, "email", sa.String(254))
        b.add_column(sa.Column("email_index", sa.String(80), nullable=True))
    for table in ("webhook_events", "outbox"):
        with op.batch_alter_table(table) as b:
            _to_text(b, "payload", sa.JSON())

    # The blind index first, from the plaintext; then seal every value.
    for table in INDEXED:
        _fill_index(table)
    for table, columns in SEALED.items():
        _rewrite(table, columns, _seal)

    for table in INDEXED:
        with op.batch_alter_table(table) as b:
            b.alter_column("email_index", existing_type=sa.String(80), nullable=False)
            if table == "orders":
                b.create_index("ix_orders_email_index", ["email_index"], unique=False)
            else:
                b.create_unique_constraint(f"uq_{table}_email_index", ["email_index"])


def _fill_index(table: str) -> None:
    t = sa.table(
        table, sa.column("id", sa.Integer), sa.column("email", sa.Text), sa.column("email_index")
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, t.c.email).where(t.c.id > last).order_by(t.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            email = _open("email", row.email) if _is_sealed(row.email) else row.email
            conn.execute(
                sa.update(t)
                .where(t.c.id == row.id)
                .values(email_index=_cipher().blind_index(email))
            )
        last = rows[-1].id


def downgrade() -> None:
    _found.clear()
    for table, columns in SEALED.items():
        _rewrite(table, columns, _open)
    for table in INDEXED:
        with op.batch_alter_table(table) as b:
            if table == "orders":
                b.drop_index("ix_orders_email_index")
            else:
                b.drop_constraint(f"uq_{table}_email_index", type_="unique")
            b.drop_column("email_index")
    for table in ("webhook_events", "outbox"):
        with op.batch_alter_table(table) as b:
            b.alter_column(
                "payload",
                existing_type=sa.Text(),
                type_=sa.JSON(),
                postgresql_using="payload::json",
            )
    with op.batch_alter_table("newsletter_subscribers") as b:
        b.alter_column("email", existing_type=sa.Text(), type_=sa.String(254))
        b.create_unique_constraint("uq_newsletter_subscribers_email", ["email"])
    with op.batch_alter_table("orders") as b:
        b.alter_column(
            "shipping_address",
            existing_type=sa.Text(),
            type_=sa.JSON(),
            postgresql_using="shipping_address::json",
        )
        b.alter_column("email", existing_type=sa.Text(), type_=sa.String(254))
        b.create_index("ix_orders_email", ["email"], unique=False)
    with op.batch_alter_table("addresses") as b:
        for name, length in ADDRESS_FIELDS:
            b.alter_column(name, existing_type=sa.Text(), type_=sa.String(length))
    with op.batch_alter_table("customers") as b:
        b.alter_column("name", existing_type=sa.Text(), type_=sa.String(120))
        b.alter_column("email", existing_type=sa.Text(), type_=sa.String(254))
        b.create_unique_constraint("uq_customers_email", ["email"])
