"""content invalidations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "content_invalidations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=False),
        sa.Column("document_type", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_invalidations")),
    )
    with op.batch_alter_table("content_invalidations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_invalidations_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("content_invalidations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_invalidations_created_at"))

    op.drop_table("content_invalidations")
