"""telemetry chunks: runs store their samples about once a second while they tick; events name their user

``run_telemetry`` becomes the header of a run's telemetry (ports, every, samples stored so far); its ``data``
holds the samples only for runs stored before this revision (one zlib JSON blob, still read as it is), so it
becomes nullable. New runs write ``run_telemetry_chunks``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_telemetry_chunks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("first_tick", sa.Integer(), nullable=False),
        sa.Column("last_tick", sa.Integer(), nullable=False),
        sa.Column("first_time", sa.Float(), nullable=False),
        sa.Column("last_time", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["simulation_runs.id"],
            name=op.f("fk_run_telemetry_chunks_run_id_simulation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_telemetry_chunks")),
        sa.UniqueConstraint("run_id", "seq", name=op.f("uq_run_telemetry_chunks_run_id_seq")),
    )
    with op.batch_alter_table("run_telemetry_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_telemetry_chunks_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("run_telemetry", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.drop_column("user")
    # Chunked runs have no blob: they lose their samples on the way down (their header row goes with them).
    op.execute("DELETE FROM run_telemetry WHERE data IS NULL")
    with op.batch_alter_table("run_telemetry", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("run_telemetry_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_telemetry_chunks_run_id"))
    op.drop_table("run_telemetry_chunks")
