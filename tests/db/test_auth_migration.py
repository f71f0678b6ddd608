"""Migration 0007 on a database with history: runs learn their project from their model, and the tables SQLite
rebuilds (endpoints, runs) lose none of their children (bindings, telemetry, events)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from app.db.migrate import alembic_config
from app.db.session import make_engine

NOW = "'2026-01-01 00:00:00'"


def test_migration_0007_backfills_run_projects_and_keeps_every_child_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0006")
    engine = make_engine(url)
    stamps = f"{NOW}, {NOW}"
    with engine.begin() as conn:
        run = conn.exec_driver_sql
        run(f"INSERT INTO projects (id, name, description, created_at, updated_at) VALUES (7, 'p', '', {stamps})")
        run(f"INSERT INTO machine_models (id, project_id, name, description, dt, created_at, updated_at) "
            f"VALUES (3, 7, 'm', '', 0.01, {stamps})")
        run(f"INSERT INTO components (id, machine_model_id, name, type, parameters, inputs, created_at, updated_at) "
            f"VALUES (1, 3, 'g', 'Gain', '{{}}', '{{}}', {stamps})")
        run(f"INSERT INTO endpoints (id, project_id, name, url, security_policy, security_mode, password, created_at, "
            f"updated_at) VALUES (1, 7, 'plc', 'opc.tcp://x:4840', 'None', 'None', 'old-plain', {stamps})")
        run(f"INSERT INTO communication_bindings (id, component_id, port, endpoint_id, node_id, direction, scale, "
            f"\"offset\", created_at, updated_at) VALUES (1, 1, 'out', 1, 'ns=2;s=X', 'write', 1.0, 0.0, {stamps})")
        for rid, model in ((1, "3"), (2, "NULL")):  # the second run's model was deleted
            run(f"INSERT INTO simulation_runs (id, machine_model_id, model_name, model_hash, engine_version, mode, "
                f"status, dt, realtime, time_scale, seed, tick, sim_time, wall_time, overruns, mean_lateness, "
                f"max_lateness, created_at, updated_at) VALUES ({rid}, {model}, 'm', 'h', '0.1.0', 'sim', "
                f"'completed', 0.01, 0, 1.0, 0, 10, 0.1, 0.01, 0, 0, 0, {stamps})")
        run(f"INSERT INTO run_telemetry (id, run_id, ports, every, samples, truncated, data, created_at, updated_at) "
            f"VALUES (1, 1, '[]', 1, 0, 0, x'00', {stamps})")
        run(f"INSERT INTO run_events (id, run_id, seq, kind, tick, t, at, message, data, created_at, updated_at) "
            f"VALUES (1, 1, 1, 'started', 0, 0.0, {NOW}, 'started', '{{}}', {stamps})")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        query = conn.exec_driver_sql
        assert query("SELECT id, project_id FROM simulation_runs ORDER BY id").all() == [(1, 7), (2, None)]
        assert query("SELECT count(*) FROM run_telemetry").scalar() == 1
        assert query("SELECT count(*) FROM run_events").scalar() == 1
        assert query("SELECT count(*) FROM communication_bindings").scalar() == 1
        assert query("SELECT password FROM endpoints").scalar() == "old-plain"  # encrypted by serve at start
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
