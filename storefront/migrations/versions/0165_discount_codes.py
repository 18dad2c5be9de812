"""discount codes

Revision ID: 0165
Revises: 0160
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0165"
down_revision: str | None = "0160"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "discount_codes",
        sa.Column("id", ID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("percent", ID, nullable=True),
        sa.Column("amounts", sa.JSON(), nullable=False),
        sa.Column("min_subtotal", sa.JSON(), nullable=False),
        sa.Column("collections", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", ID, nullable=True),
        sa.Column("max_uses_per_customer", ID, nullable=True),
        sa.Column("uses", ID, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_discount_codes_code")),
    )
    op.create_table(
        "discount_redemptions",
        sa.Column("id", ID, nullable=False),
        sa.Column("code_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("customer_key", sa.String(length=254), nullable=False),
        sa.Column("amount", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["discount_codes.id"],
            name=op.f("fk_discount_redemptions_code_id_discount_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_discount_redemptions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_discount_redemptions_order_id")),
    )
    with op.batch_alter_table("discount_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discount_redemptions_code_id"), ["code_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_discount_redemptions_customer_key"), ["customer_key"], unique=False
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("discount_amount", ID, nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("shipping_discount_amount", ID, nullable=False, server_default="0")
        )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount_amount", ID, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_column("discount_amount")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("shipping_discount_amount")
        batch_op.drop_column("discount_amount")
        batch_op.drop_column("discount_code")
    with op.batch_alter_table("discount_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discount_redemptions_customer_key"))
        batch_op.drop_index(batch_op.f("ix_discount_redemptions_code_id"))
    op.drop_table("discount_redemptions")
    op.drop_table("discount_codes")
