"""reviews from verified buyers, back-in-stock requests, review invite consent

Revision ID: 0185
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0185"
down_revision: str | None = "0180"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("display_name", sa.String(length=40), nullable=False),
        sa.Column("rating", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reviews_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_reviews_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_id", "product_id", name=op.f("uq_reviews_order_id_product_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_reviews_product_status", ["product_id", "status"], unique=False)

    op.create_table(
        "restock_requests",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_index", sa.String(length=80), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("product_id", sa.String(length=128), nullable=False),
        sa.Column("variant_key", sa.String(length=128), nullable=False),
        sa.Column("product_uid", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_restock_requests_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restock_requests")),
    )
    with op.batch_alter_table("restock_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_restock_requests_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_restock_requests_email_index"), ["email_index"], unique=False
        )
        batch_op.create_index(
            "ix_restock_requests_uid_status", ["product_uid", "status"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_invites", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("review_invited_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_invites", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("review_invites")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("review_invited_at")
        batch_op.drop_column("review_invites")
    with op.batch_alter_table("restock_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_restock_requests_uid_status")
        batch_op.drop_index(batch_op.f("ix_restock_requests_email_index"))
        batch_op.drop_index(batch_op.f("ix_restock_requests_customer_id"))
    op.drop_table("restock_requests")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_product_status")
        batch_op.drop_index(batch_op.f("ix_reviews_customer_id"))
    op.drop_table("reviews")
