"""SQLite connections enforce foreign keys and use WAL."""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

pytestmark = pytest.mark.sqlite_only


def test_foreign_keys_are_enforced_on_every_connection(session: Session) -> None:
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_journal_mode_is_wal(session: Session) -> None:
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
