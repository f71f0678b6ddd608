"""Test scenarios: store them (JSON or YAML), run them in the background, read verdicts and reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from app.api.deps import PageDep, SessionDep, SettingsDep
from app.api.documents import AcceptHeader, FormatQuery, document_response, document_responses
from app.api.errors import error_responses
from app.api.scenario_runner import ScenarioRunnerDep
from app.api.security import ENGINEER, OBSERVER, OPERATOR, Engineer, Observer, access_to
from app.core.errors import UnprocessableError
from app.db.scenarios import Scenario, ScenarioRun
from app.schemas.common import Page
from app.schemas.scenarios import EXAMPLE_SCENARIO, EXAMPLE_SCENARIO_YAML, ScenarioRead, ScenarioRunRead
from app.services import documents
from app.services import scenarios as service

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
runs_router = APIRouter(prefix="/scenario-runs", tags=["scenarios"])

_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}, "example": EXAMPLE_SCENARIO},
            "application/yaml": {"schema": {"type": "string"}, "example": EXAMPLE_SCENARIO_YAML},
        },
    }
}
_MODEL_QUERY = Query(description="the stored machine model to run on, when the document has no `model_id`")


async def scenario_body(request: Request, content_type: Annotated[str, Header()] = "application/json") -> Any:
    """The request body as a document: JSON, or YAML by its content type."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in _YAML_TYPES:
        fmt = "yaml"
    elif media_type == "application/json":
        fmt = "json"
    else:
        raise UnprocessableError(
            f"unsupported content type {media_type!r}; send application/json or application/yaml",
            [{"loc": "header.content-type", "valid": ["application/json", *_YAML_TYPES]}],
            code="unsupported_media_type",
        )
    return documents.load((await request.body()).decode("utf-8", errors="replace"), fmt)


def load_scenario(scenario_id: int, session: SessionDep) -> Scenario:
    return service.get_scenario(session, scenario_id)


def load_scenario_run(run_id: int, session: SessionDep) -> ScenarioRun:
    return service.get_run(session, run_id)


BodyDep = Annotated[Any, Depends(scenario_body)]
ScenarioForObserver = Annotated[Scenario, Depends(access_to(load_scenario, OBSERVER))]
ScenarioForOperator = Annotated[Scenario, Depends(access_to(load_scenario, OPERATOR))]
ScenarioForEngineer = Annotated[Scenario, Depends(access_to(load_scenario, ENGINEER))]
ScenarioRunForObserver = Annotated[ScenarioRun, Depends(access_to(load_scenario_run, OBSERVER))]
ScenarioRunForOperator = Annotated[ScenarioRun, Depends(access_to(load_scenario_run, OPERATOR))]


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422), openapi_extra=_DOCUMENT_BODY
)
def create_scenario(
    session: SessionDep, _: Engineer, body: BodyDep, machine_model_id: Annotated[int | None, _MODEL_QUERY] = None
) -> ScenarioRead:
    """Store a scenario document (JSON, or YAML with `Content-Type: application/yaml`).

    The scenario runs on a stored machine model: `model_id` in the document, or `?machine_model_id=`
    (then written into the stored document). It is checked against that model: a 422 lists every problem
    with its location in the document (`assertions[1].eventually`, `faults[0].port`, ...), including ports,
    components and parameters the model does not have. Names are unique within the model's project (409).
    """
    return ScenarioRead.model_validate(service.create(session, body, machine_model_id))


@router.get("", responses=error_responses(404, 422))
def list_scenarios(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    project_id: Annotated[int | None, Query(description="only scenarios of this project")] = None,
    machine_model_id: Annotated[int | None, Query(description="only scenarios of this machine model")] = None,
) -> Page[ScenarioRead]:
    """List scenarios in id order, optionally of one project and/or machine model."""
    items, total = service.list_(session, page.limit, page.offset, project_id, machine_model_id)
    return Page(
        items=[ScenarioRead.model_validate(s) for s in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{scenario_id}", responses=error_responses(404))
def get_scenario(scenario: ScenarioForObserver) -> ScenarioRead:
    """Read one scenario with its document."""
    return ScenarioRead.model_validate(scenario)


@router.put("/{scenario_id}", responses=error_responses(403, 404, 409, 422), openapi_extra=_DOCUMENT_BODY)
def replace_scenario(
    scenario: ScenarioForEngineer,
    session: SessionDep,
    body: BodyDep,
    machine_model_id: Annotated[int | None, _MODEL_QUERY] = None,
) -> ScenarioRead:
    """Replace a scenario's document, checked as on create; without `model_id` it keeps its model."""
    return ScenarioRead.model_validate(service.update(session, scenario, body, machine_model_id))


@router.delete(
    "/{scenario_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_scenario(scenario: ScenarioForEngineer, session: SessionDep, runner: ScenarioRunnerDep) -> Response:
    """Delete a scenario and stop its active runs; its past runs and their reports stay readable."""
    service.delete(session, scenario, runner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{scenario_id}/run", status_code=status.HTTP_202_ACCEPTED, responses=error_responses(403, 404, 422)
)
def run_scenario(
    scenario: ScenarioForOperator,
    session: SessionDep,
    runner: ScenarioRunnerDep,
    response: Response,
    settings: SettingsDep,
) -> ScenarioRunRead:
    """Run a scenario in the background; returns the run (status `pending`) to follow at `Location`.

    The scenario is checked against its model as the model is now (422 with every problem if it no
    longer fits, or if the model cannot run). `GET /api/v1/scenario-runs/{id}` gives the status, and once
    `completed` the verdict (`passed`/`failed`) with every assertion's expected and actual values and the
    time it failed. A run that hits a simulation error ends `failed` with `error`. Mode `hil` runs with the
    model's PLCs in the loop: it needs bindings (422 `no_bindings`) and, for a model that writes to a PLC, the
    PLC-write permission on those endpoints (403 `plc_write_required`), as starting a HIL simulation does; the PLCs
    are connected in the background, so an unreachable one or a bad binding ends the run `failed` naming the
    reason. Its result says whether it was `degraded` (stale or bad PLC values, a lost PLC) with the read
    `quality`. A run that would take more ticks or record more values than the
    server allows (settings `MAX_RUN_TICKS`, `MAX_RECORDED_VALUES`) is refused with a 422 naming the numbers.
    """
    run = service.start_run(session, runner, scenario, settings.data_dir)
    response.headers["Location"] = f"/api/v1/scenario-runs/{run.id}"
    return ScenarioRunRead.model_validate(service.read_run(run))


@router.get("/{scenario_id}/runs", responses=error_responses(404, 422))
def list_scenario_runs(scenario: ScenarioForObserver, session: SessionDep, page: PageDep) -> Page[ScenarioRunRead]:
    """Past runs of a scenario with their verdicts, newest first."""
    items, total = service.list_runs(session, scenario, page.limit, page.offset)
    return Page(
        items=[ScenarioRunRead.model_validate(service.read_run(r)) for r in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@runs_router.get("/{run_id}", responses=error_responses(404))
def get_scenario_run(run: ScenarioRunForObserver) -> ScenarioRunRead:
    """A scenario run: status (pending, running, completed, failed, aborted), verdict and per-assertion results.

    Each assertion says what was `expected`, what was seen (`actual`), the `time` it failed and the port
    values then; `fault_periods` say when each fault was active.
    """
    return ScenarioRunRead.model_validate(service.read_run(run))


@runs_router.post(
    "/{run_id}/rerun", status_code=status.HTTP_202_ACCEPTED, responses=error_responses(403, 404, 409, 422)
)
def rerun_scenario_run(
    run: ScenarioRunForOperator, session: SessionDep, runner: ScenarioRunnerDep, response: Response,
    settings: SettingsDep,
) -> ScenarioRunRead:
    """Run exactly what a scenario run ran once more, in the background (`rerun_of` names the original; follow the
    new run at `Location`).

    The rerun judges the scenario document the original ran (`GET /scenario-runs/{id}/scenario`) on the model
    document it ran (`GET /scenario-runs/{id}/model`), with the same seed, `dt` and duration, so it gives the same
    verdicts and values even if the scenario or the model was edited or deleted since. A run from before runs
    kept their model document is a 404 `document_not_kept`. A `hil` rerun talks to the PLCs as they are now: it
    needs the PLC-write permission of a start, and an endpoint deleted or moved since is a 409 `endpoint_changed`.
    """
    new = service.rerun(session, runner, run, settings.data_dir)
    response.headers["Location"] = f"/api/v1/scenario-runs/{new.id}"
    return ScenarioRunRead.model_validate(service.read_run(new))


@runs_router.get(
    "/{run_id}/model", responses={**document_responses("The model document"), **error_responses(404, 422)}
)
def get_scenario_run_model(
    run: ScenarioRunForObserver, session: SessionDep, format: FormatQuery = None, accept: AcceptHeader = None
) -> Response:
    """The exact model document the scenario run ran (JSON, or YAML with `?format=yaml` or `Accept:
    application/yaml`), whatever became of the stored model since; its sha256 is the run's `document_hash`.

    A run from before runs kept their model document answers 404 `document_not_kept`.
    """
    return document_response(service.run_document(session, run), format, accept)


@runs_router.get(
    "/{run_id}/scenario", responses={**document_responses("The scenario document"), **error_responses(404, 422)}
)
def get_scenario_run_scenario(
    run: ScenarioRunForObserver, format: FormatQuery = None, accept: AcceptHeader = None
) -> Response:
    """The scenario document as the run ran it (JSON, or YAML with `?format=yaml` or `Accept: application/yaml`),
    whatever became of the stored scenario since."""
    return document_response(run.document, format, accept)


@runs_router.post("/{run_id}/stop", responses=error_responses(403, 404, 409))
def stop_scenario_run(run: ScenarioRunForOperator, session: SessionDep, runner: ScenarioRunnerDep) -> ScenarioRunRead:
    """Stop a pending or running scenario run at its next tick boundary.

    The run ends `aborted`, its `error` says the simulated time it reached; it has no verdict (a partial
    recording cannot judge the assertions). A run that has already ended is a 409 `run_not_active`.
    """
    return ScenarioRunRead.model_validate(service.read_run(service.stop_run(session, runner, run)))


@runs_router.get(
    "/{run_id}/junit",
    response_class=Response,
    responses={200: {"description": "JUnit XML", "content": {"application/xml": {}}}, **error_responses(404)},
)
def get_scenario_run_junit(run: ScenarioRunForObserver) -> Response:
    """The run as JUnit XML for CI test reporters: a testsuite, a testcase per assertion (404 until it has a result)."""
    return Response(content=service.junit(run), media_type="application/xml")


@runs_router.get(
    "/{run_id}/html",
    response_class=Response,
    responses={
        200: {"description": "A self-contained HTML page", "content": {"text/html": {}}},
        **error_responses(404),
    },
)
def get_scenario_run_html(run: ScenarioRunForObserver) -> Response:
    """The run as an HTML report: verdict table, fault periods and a plot per assertion (404 until it has a result)."""
    return Response(content=service.html(run), media_type="text/html")
