"""The application's run manager: created at start-up (runs a previous process left active become
"aborted"), stopped at shutdown, and handed to routes as ``RunManagerDep``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.exc import OperationalError

from app.core.config import Settings, get_settings
from app.services.run_manager import RunManager

logger = logging.getLogger(__name__)


def _settings(app: FastAPI) -> Settings:
    # Tests override get_settings per app; start-up must see the same database as the requests.
    provider = app.dependency_overrides.get(get_settings, get_settings)
    return provider()


@contextmanager
def run_manager_lifespan(app: FastAPI) -> Iterator[RunManager]:
    """Create the run manager for the application's lifetime; stop every run at shutdown."""
    settings = _settings(app)
    manager = RunManager(
        settings.database_url,
        yield_interval=settings.run_yield_interval,
        yield_pause=settings.run_yield_pause,
        switch_interval=settings.run_switch_interval,
    )
    try:
        aborted = manager.abort_leftovers()
        if aborted:
            logger.warning("marked %d simulation run(s) left active by a previous process as aborted", aborted)
    except OperationalError:
        logger.exception("could not check for runs left active; is the database migrated?")
    app.state.run_manager = manager
    try:
        yield manager
    finally:
        manager.shutdown()
        del app.state.run_manager


def get_run_manager(request: Request) -> RunManager:
    return request.app.state.run_manager  # type: ignore[no-any-return]


RunManagerDep = Annotated[RunManager, Depends(get_run_manager)]
