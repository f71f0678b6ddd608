"""The application's campaign runner: created at start-up (campaigns a previous process left active become
"aborted"), drained at shutdown, and handed to routes as ``CampaignRunnerDep``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.exc import OperationalError

from app.core.config import get_settings
from app.services.campaign_runner import CampaignRunner

logger = logging.getLogger(__name__)


@contextmanager
def campaign_runner_lifespan(app: FastAPI) -> Iterator[CampaignRunner]:
    """Create the campaign runner for the application's lifetime."""
    # Tests override get_settings per app; start-up must see the same database as the requests.
    settings = app.dependency_overrides.get(get_settings, get_settings)()
    runner = CampaignRunner(settings.database_url, settings.campaign_workers, settings.campaign_scheduler)
    try:
        aborted = runner.abort_leftovers()
        if aborted:
            logger.warning("marked %d campaign(s) left active by a previous process as aborted", aborted)
    except OperationalError:
        logger.exception("could not check for campaigns left active; is the database migrated?")
    app.state.campaign_runner = runner
    try:
        yield runner
    finally:
        runner.shutdown()
        del app.state.campaign_runner


def get_campaign_runner(request: Request) -> CampaignRunner:
    return request.app.state.campaign_runner  # type: ignore[no-any-return]


CampaignRunnerDep = Annotated[CampaignRunner, Depends(get_campaign_runner)]
