"""invoices and credit notes

Revision ID: 0166
Revises: 0165
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0166"
down_revision: str | None = "0165"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", ID, nullable=False),
        sa.Column("last", ID, nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_document_counters")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("pdf", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_invoices_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint("order_id", name=op.f("uq_invoices_order_id")),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("refund_key", sa.String(length=128), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("pdf", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_credit_notes_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
        sa.UniqueConstraint("refund_key", name=op.f("uq_credit_notes_refund_key")),
    )


def downgrade() -> None:
    op.drop_table("credit_notes")
    op.drop_table("invoices")
    op.drop_table("document_counters")
