"""fulfillment tracking

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "gelato_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gelato_order_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("fulfillment_country", sa.String(length=2), nullable=True),
        sa.Column("item_statuses", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_gelato_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gelato_orders")),
        sa.UniqueConstraint("gelato_order_id", name=op.f("uq_gelato_orders_gelato_order_id")),
    )
    with op.batch_alter_table("gelato_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gelato_orders_order_id"), ["order_id"], unique=False)

    op.create_table(
        "parcels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gelato_order_id", sa.String(length=64), nullable=False),
        sa.Column("tracking_code", sa.String(length=128), nullable=False),
        sa.Column("tracking_url", sa.String(length=1024), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_parcels_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcels")),
        sa.UniqueConstraint(
            "order_id", "tracking_code", name=op.f("uq_parcels_order_id_tracking_code")
        ),
    )
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcels_order_id"), ["order_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcels_order_id"))

    op.drop_table("parcels")
    with op.batch_alter_table("gelato_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gelato_orders_order_id"))

    op.drop_table("gelato_orders")
