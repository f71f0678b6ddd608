"""model documents: runs keep the exact document they ran (content-addressed), their start settings and what
they rerun

Runs from before this revision keep ``document_hash`` null: their document was never stored, only its hash
(``model_hash``), so there is nothing to backfill.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_documents",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_model_documents")),
    )
    with op.batch_alter_table("simulation_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("settings", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("rerun_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_simulation_runs_document_hash"), ["document_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_simulation_runs_rerun_of"), ["rerun_of"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_simulation_runs_document_hash_model_documents"), "model_documents", ["document_hash"],
            ["hash"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_simulation_runs_rerun_of_simulation_runs"), "simulation_runs", ["rerun_of"], ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("scenario_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rerun_of", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_scenario_runs_document_hash"), ["document_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_scenario_runs_rerun_of"), ["rerun_of"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_scenario_runs_document_hash_model_documents"), "model_documents", ["document_hash"],
            ["hash"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scenario_runs_rerun_of_scenario_runs"), "scenario_runs", ["rerun_of"], ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("scenario_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_scenario_runs_rerun_of_scenario_runs"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_scenario_runs_document_hash_model_documents"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_scenario_runs_rerun_of"))
        batch_op.drop_index(batch_op.f("ix_scenario_runs_document_hash"))
        batch_op.drop_column("rerun_of")
        batch_op.drop_column("document_hash")
    with op.batch_alter_table("simulation_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_simulation_runs_rerun_of_simulation_runs"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_simulation_runs_document_hash_model_documents"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_simulation_runs_rerun_of"))
        batch_op.drop_index(batch_op.f("ix_simulation_runs_document_hash"))
        batch_op.drop_column("rerun_of")
        batch_op.drop_column("settings")
        batch_op.drop_column("document_hash")
    op.drop_table("model_documents")
