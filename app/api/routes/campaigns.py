"""Campaigns: one stored scenario over a parameter grid and many seeds, run in the background, summarised."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.api.campaign_runner import CampaignRunnerDep
from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import OBSERVER, OPERATOR, Observer, Operator, access_to
from app.db.campaigns import Campaign
from app.schemas.campaigns import CampaignCreate, CampaignRead
from app.schemas.common import Page
from app.services import campaigns as service

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def load_campaign(campaign_id: int, session: SessionDep) -> Campaign:
    return service.get(session, campaign_id)


CampaignForObserver = Annotated[Campaign, Depends(access_to(load_campaign, OBSERVER))]
CampaignForOperator = Annotated[Campaign, Depends(access_to(load_campaign, OPERATOR))]


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=error_responses(403, 404, 422))
def create_campaign(
    body: CampaignCreate, session: SessionDep, _: Operator, runner: CampaignRunnerDep, response: Response
) -> CampaignRead:
    """Run a stored scenario once per grid point and seed, in the background; follow it at `Location`.

    `sweep` maps `component.parameter` to a list of values or `"start:stop:count"` (evenly spaced, both ends
    included); the grid is the product of the axes, the first slowest. `seeds` is a count N (seeds 0..N-1) or a
    list; without it every point runs once with the scenario's seed. `parameters` fixes values at every point.
    `metrics` (`component.port:min|max|mean|final`) are summarised per point as min, mean, max and percentiles.

    Everything is checked against the scenario's model before anything runs: a 422 `invalid_campaign` locates
    each problem (`body.sweep.tank.arae` with a `did_you_mean`, `body.metrics[0]`), a 422 `campaign_too_large`
    names the number of runs and the limit (setting `MAX_CAMPAIGN_RUNS`). The runs go to local processes, or to
    the Dask scheduler of the setting `CAMPAIGN_SCHEDULER`; results are the same either way. Needs the operator
    role in the scenario's project; the campaign belongs to that project.
    """
    row = service.create(session, runner, body)
    response.headers["Location"] = f"/api/v1/campaigns/{row.id}"
    return CampaignRead.model_validate(service.read(row))


@router.get("", responses=error_responses(404, 422))
def list_campaigns(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    project_id: Annotated[int | None, Query(description="only campaigns of this project")] = None,
    scenario_id: Annotated[int | None, Query(description="only campaigns of this scenario")] = None,
) -> Page[CampaignRead]:
    """List campaigns, newest first, with their progress and verdict (the summary is in `GET /campaigns/{id}`)."""
    items, total = service.list_(session, page.limit, page.offset, project_id, scenario_id)
    return Page(items=[CampaignRead.model_validate(service.read(c, summary=False)) for c in items], total=total,
                limit=page.limit, offset=page.offset)


@router.get("/{campaign_id}", responses=error_responses(404))
def get_campaign(campaign: CampaignForObserver) -> CampaignRead:
    """A campaign: status (pending, running, completed, failed, aborted) and runs done so far; once ended, its
    verdict and summary.

    The summary has, per grid point, the pass rate, each metric's distribution (n, min, mean, max, p5, p50, p95,
    and the [point, seed] of the extremes) and how often each assertion failed; the worst cases list each failing
    run's seed, parameters and failed assertions with `reproduce`, the `POST /campaigns` body that runs it alone.
    """
    return CampaignRead.model_validate(service.read(campaign))


@router.post("/{campaign_id}/stop", responses=error_responses(403, 404, 409))
def stop_campaign(campaign: CampaignForOperator, session: SessionDep, runner: CampaignRunnerDep) -> CampaignRead:
    """Stop a pending or running campaign: no further run starts, runs under way finish.

    It ends `aborted` with a summary of the runs that finished. A campaign that has already ended is a 409
    `campaign_not_active`.
    """
    return CampaignRead.model_validate(service.read(service.stop(session, runner, campaign)))


@router.get(
    "/{campaign_id}/junit",
    response_class=Response,
    responses={200: {"description": "JUnit XML", "content": {"application/xml": {}}}, **error_responses(404)},
)
def get_campaign_junit(campaign: CampaignForObserver) -> Response:
    """The campaign as JUnit XML: a testsuite per grid point, a testcase per seed (404 until it has a result)."""
    return Response(content=service.junit(campaign), media_type="application/xml")


@router.get(
    "/{campaign_id}/html",
    response_class=Response,
    responses={
        200: {"description": "A self-contained HTML page", "content": {"text/html": {}}},
        **error_responses(404),
    },
)
def get_campaign_html(campaign: CampaignForObserver) -> Response:
    """The campaign as one offline HTML page: pass rate per point (a grid for two axes), distributions, failed
    assertions, worst cases and extremes (404 until it has a result)."""
    return Response(content=service.html(campaign), media_type="text/html")
