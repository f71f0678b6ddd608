"""model revisions: the history of every stored model, one row per change, pointing at the stored document

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

Models from before this revision start their history at their first change after it (their earlier documents
were not kept).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_revisions",
        sa.Column("machine_model_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_hash"], ["model_documents.hash"], name=op.f("fk_model_revisions_document_hash_model_documents")
        ),
        sa.ForeignKeyConstraint(
            ["machine_model_id"], ["machine_models.id"], name=op.f("fk_model_revisions_machine_model_id_machine_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_revisions")),
        sa.UniqueConstraint("machine_model_id", "number", name=op.f("uq_model_revisions_machine_model_id_number")),
    )
    with op.batch_alter_table("model_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_revisions_machine_model_id"), ["machine_model_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_revisions_machine_model_id"))
    op.drop_table("model_revisions")
