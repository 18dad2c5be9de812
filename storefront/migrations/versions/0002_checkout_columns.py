"""checkout columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("checkout_key", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("payment_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_orders_checkout_key"), ["checkout_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_cart_id_carts"), "carts", ["cart_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_cart_id_carts"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_orders_checkout_key"), type_="unique")
        batch_op.drop_column("payment_expires_at")
        batch_op.drop_column("checkout_key")
        batch_op.drop_column("cart_id")
