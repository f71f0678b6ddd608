"""endpoint operation limits: per-endpoint caps on nodes per Read and per Write, below what the server advertises

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_nodes_per_read", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_nodes_per_write", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("max_nodes_per_write")
        batch_op.drop_column("max_nodes_per_read")
