"""Shared by ``run.py users`` and ``run.py tokens``: the migrated database of the settings, one transaction."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


class CliError(Exception):
    """A problem to print as one line (exit code 2)."""


@contextmanager
def database() -> Iterator[Session]:
    """A session on DATABASE_URL, migrated to head first; commits when the block succeeds."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.cli.serve import database_problem, masked_url
    from app.core.config import get_settings
    from app.db.migrate import upgrade_to_head
    from app.db.session import get_session_factory
    from app.services.secrets import SETTINGS_KEY

    settings = get_settings()
    problem = database_problem(settings.database_url)
    if problem:
        raise CliError(problem)
    try:
        upgrade_to_head(settings.database_url)
    except SQLAlchemyError as exc:
        raise CliError(f"DATABASE_URL {masked_url(settings.database_url)}: cannot migrate: {exc}") from None
    with get_session_factory(settings.database_url)() as session:
        session.info[SETTINGS_KEY] = settings
        yield session
        session.commit()


def run_guarded(action: object) -> int:
    """Run ``action()``; a CliError or a domain error is one line on stderr and exit code 2."""
    from app.core.errors import AppError

    try:
        return int(action())  # type: ignore[operator]
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
