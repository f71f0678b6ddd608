"""input drivers: "an input port has at most one driver" across connections and read bindings, in the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "input_drivers",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("port", sa.String(length=100), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("binding_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(connection_id IS NULL) <> (binding_id IS NULL)", name=op.f("ck_input_drivers_one_driver_kind")
        ),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["communication_bindings.id"],
            name=op.f("fk_input_drivers_binding_id_communication_bindings"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["components.id"], name=op.f("fk_input_drivers_component_id_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["connections.id"], name=op.f("fk_input_drivers_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_input_drivers")),
        sa.UniqueConstraint("binding_id", name=op.f("uq_input_drivers_binding_id")),
        sa.UniqueConstraint("component_id", "port", name=op.f("uq_input_drivers_component_id_port")),
        sa.UniqueConstraint("connection_id", name=op.f("uq_input_drivers_connection_id")),
    )
    with op.batch_alter_table("input_drivers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_input_drivers_component_id"), ["component_id"], unique=False)
    # Claim the inputs existing rows drive: every connection (already unique per input), then each read binding
    # on an input nothing claims yet (the oldest, if a race ever left two).
    op.execute(
        "INSERT INTO input_drivers (component_id, port, connection_id, created_at, updated_at) "
        "SELECT target_component_id, target_port, id, created_at, updated_at FROM connections"
    )
    op.execute(
        "INSERT INTO input_drivers (component_id, port, binding_id, created_at, updated_at) "
        "SELECT b.component_id, b.port, b.id, b.created_at, b.updated_at FROM communication_bindings b "
        "WHERE b.direction = 'read' AND b.id = (SELECT MIN(o.id) FROM communication_bindings o "
        "WHERE o.component_id = b.component_id AND o.port = b.port AND o.direction = 'read') "
        "AND NOT EXISTS (SELECT 1 FROM input_drivers d WHERE d.component_id = b.component_id AND d.port = b.port)"
    )


def downgrade() -> None:
    with op.batch_alter_table("input_drivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_input_drivers_component_id"))
    op.drop_table("input_drivers")
