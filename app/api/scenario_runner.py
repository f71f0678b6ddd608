"""The application's scenario runner: created at start-up (scenario runs a previous process left active become
"aborted"), drained at shutdown, and handed to routes as ``ScenarioRunnerDep``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.exc import OperationalError

from app.core.config import get_settings
from app.services.scenario_runner import ScenarioRunner

logger = logging.getLogger(__name__)


@contextmanager
def scenario_runner_lifespan(app: FastAPI) -> Iterator[ScenarioRunner]:
    """Create the scenario runner for the application's lifetime."""
    # Tests override get_settings per app; start-up must see the same database as the requests.
    settings = app.dependency_overrides.get(get_settings, get_settings)()
    runner = ScenarioRunner(settings.database_url, settings.run_yield_interval, settings.run_yield_pause)
    try:
        aborted = runner.abort_leftovers()
        if aborted:
            logger.warning("marked %d scenario run(s) left active by a previous process as aborted", aborted)
    except OperationalError:
        logger.exception("could not check for scenario runs left active; is the database migrated?")
    app.state.scenario_runner = runner
    try:
        yield runner
    finally:
        runner.shutdown()
        del app.state.scenario_runner


def get_scenario_runner(request: Request) -> ScenarioRunner:
    return request.app.state.scenario_runner  # type: ignore[no-any-return]


ScenarioRunnerDep = Annotated[ScenarioRunner, Depends(get_scenario_runner)]
