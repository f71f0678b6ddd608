"""Alembic migrations build exactly the schema the models declare, on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.db.base import Base
from app.db.migrate import alembic_config, upgrade_to_head
from app.db.session import make_engine
from tests.postgres import PostgresServer


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, database_backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, on the test's backend."""
    if database_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def test_upgrade_head_on_fresh_database_matches_models(empty_url: str) -> None:
    url = empty_url
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_database_is_at_the_single_head_revision(empty_url: str) -> None:
    url = empty_url
    upgrade_to_head(url)
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert len(heads) == 1 and MigrationContext.configure(conn).get_current_revision() == heads[0]
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_url: str) -> None:
    url = empty_url
    upgrade_to_head(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
