"""Simulation runs: start, follow, force, change and stop a run of a machine model; read its telemetry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import StreamingResponse

from app.api.deps import PageDep, SessionDep, SettingsDep
from app.api.documents import AcceptHeader, FormatQuery, document_response, document_responses
from app.api.errors import error_responses
from app.api.security import OBSERVER, OPERATOR, Observer, Operator, access_to
from app.api.simulation_runs import RunManagerDep
from app.db.runs import SimulationRun
from app.schemas.common import Page
from app.schemas.simulations import (
    EventRead,
    ForceRead,
    ForceSet,
    ParameterSet,
    RunStatus,
    SimulationRead,
    SimulationStart,
    SimulationUpdate,
    TelemetryRead,
    ValuesRead,
)
from app.services import plc_write
from app.services import simulations as service
from app.services import telemetry as telemetry_service

router = APIRouter(prefix="/simulations", tags=["simulations"])


def load_run(run_id: int, session: SessionDep) -> SimulationRun:
    return service.get_run(session, run_id)


RunForObserver = Annotated[SimulationRun, Depends(access_to(load_run, OBSERVER))]
RunForOperator = Annotated[SimulationRun, Depends(access_to(load_run, OPERATOR))]

_CSV_EXAMPLE = "time,tank.level,valve.opening\n0.0,0.5,0.0\n0.1,0.5012,0.1\n"


@router.post("/start", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422, 429))
def start_simulation(
    data: SimulationStart, session: SessionDep, manager: RunManagerDep, settings: SettingsDep, _: Operator
) -> SimulationRead:
    """Start a run of a stored machine model; it begins ticking right after this returns.

    The model is compiled first: an invalid model is refused with a 422 whose `details` list every
    problem (algebraic loops, unconnected inputs, bad parameters). Without `duration` the run goes on until
    stopped. `realtime` paces ticks to the wall clock at `time_scale`; otherwise the run goes as fast as it
    can. `record` samples the chosen ports every `every` ticks for the telemetry endpoint.

    `mode: "hil"` puts the PLC(s) of the model's bindings in the loop, paced to the wall clock: every endpoint
    is connected and every binding checked before the run exists. Bad bindings are refused with a 422 listing
    every problem (binding, node, reason); an unreachable endpoint gives a run with status `failed` whose
    `error` and `io.endpoints` name the endpoint and the reason. While a PLC connection is lost the run is
    `degraded` (held inputs, reconnecting) or, with `on_disconnect: "stop"`, ends `failed`; `io` shows the
    state, reconnects, seconds degraded, per-tick read/write ms and per-binding errors.
    A HIL run that writes to a PLC needs the caller's PLC-write grant on every endpoint it writes to (403 naming
    the endpoints otherwise).
    `opcua_server: {port}` (any mode) serves every port of the twin over OPC UA (409 if the port is taken).
    Connecting and serving count as waits on a PLC: 429 (`too_many_plc_requests`) at once beyond the settings
    PLC_WAITS_PER_USER and PLC_WAITS_TOTAL.
    """
    run = service.start(session, manager, data, settings.data_dir)
    return SimulationRead.model_validate(service.read(run, manager))


@router.get("", responses=error_responses(404, 422))
def list_simulations(
    session: SessionDep,
    manager: RunManagerDep,
    page: PageDep,
    _: Observer,
    machine_model_id: Annotated[int | None, Query(description="only runs of this machine model")] = None,
    status: Annotated[RunStatus | None, Query(description="only runs with this status")] = None,
) -> Page[SimulationRead]:
    """List runs, newest first."""
    items, total = service.list_(session, page.limit, page.offset, machine_model_id, status)
    return Page(
        items=[SimulationRead.model_validate(service.read(run, manager)) for run in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{run_id}", responses=error_responses(404))
@router.get("/{run_id}/status", responses=error_responses(404))
def get_simulation_status(run: RunForObserver, manager: RunManagerDep) -> SimulationRead:
    """A run's status (pending, running, completed, stopped, failed, aborted) and live counters.

    `tick`, `sim_time`, `wall_time`, `real_time_factor` and the pacing figures (`overruns`, lateness in
    seconds) are current while the run is active; afterwards they are the final ones.
    """
    return SimulationRead.model_validate(service.read(run, manager))


@router.get("/{run_id}/model", responses={**document_responses("The model document"), **error_responses(404, 422)})
def get_simulation_model(run: RunForObserver, session: SessionDep, format: FormatQuery = None,
                         accept: AcceptHeader = None) -> Response:
    """The exact model document the run ran, as the model export writes it (JSON, or YAML with `?format=yaml` or
    `Accept: application/yaml`), whatever became of the stored model since: edited, or deleted.

    Its sha256 is the run's `document_hash`. A run started before runs kept their document answers 404
    `document_not_kept` (its `model_hash` is all that is known).
    """
    return document_response(service.document(session, run), format, accept)


@router.post(
    "/{run_id}/rerun", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422, 429)
)
def rerun_simulation(
    run: RunForOperator, session: SessionDep, manager: RunManagerDep, settings: SettingsDep, response: Response
) -> SimulationRead:
    """Run exactly what a run ran once more: a new run (`rerun_of` names the original, `Location` points to it).

    It ticks on the document the original ran (`document_hash`), even if the stored model was edited or deleted
    since, with the same `dt`, `duration`, `seed`, `record`, pacing, `mode` and served twin. A `sim` run that
    was neither forced, faulted, changed nor edited while it ran and was not stopped early records bit-identical
    telemetry; what was done to the original while it ran is not replayed (its events list it), and edits of the
    model do not reach the rerun. The checks of a start apply: the operator role, run limits, and for `mode:
    "hil"` the PLC-write grants and the PLC as it is now; a HIL rerun whose endpoints were deleted or point
    elsewhere since is a 409 `endpoint_changed`. A run from before runs kept their document is a 404
    `document_not_kept`.
    """
    new = service.rerun(session, manager, run, settings.data_dir)
    response.headers["Location"] = f"/api/v1/simulations/{new.id}"
    return SimulationRead.model_validate(service.read(new, manager))


@router.patch("/{run_id}", responses=error_responses(403, 404, 409, 422))
def update_simulation(data: SimulationUpdate, run: RunForOperator, manager: RunManagerDep) -> SimulationRead:
    """Change an active run: `time_scale` sets the pace of a paced (`realtime`) run from its next tick on.

    Simulated time goes on from where it is (no jump): the next tick keeps its deadline and later ticks
    follow the new pace. The status then shows the new `time_scale`, and a `time_scale` event is logged.
    422 outside 0.1..100; 409 `run_not_active` once the run has ended; 409 `run_not_paced` for a run going
    as fast as possible.
    """
    if data.time_scale is not None:
        service.set_time_scale(run, manager, data.time_scale)
    return SimulationRead.model_validate(service.read(run, manager))


@router.get("/{run_id}/events", responses=error_responses(404, 422))
def list_simulation_events(
    run: RunForObserver,
    session: SessionDep,
    manager: RunManagerDep,
    after_seq: Annotated[int, Query(ge=0, description="only events with a higher `seq` (0: all)")] = 0,
) -> list[EventRead]:
    """The run's event log, oldest first: started, forces and releases, faults injected and cleared, parameter
    and time-scale changes, PLC disconnects and reconnects, live model edits applied or refused, finished.

    Kept after the run ends. Poll with `after_seq` = the last `seq` seen, or follow the live stream, which
    sends the same objects as `event` messages.
    """
    return [EventRead.model_validate(e) for e in service.events(session, run, manager, after_seq)]


@router.post("/{run_id}/stop", responses=error_responses(403, 404, 409))
def stop_simulation(run: RunForOperator, manager: RunManagerDep, session: SessionDep) -> SimulationRead:
    """Stop an active run; it ends at the next tick boundary (409 if it has already ended).

    The call waits up to two seconds for the run to end, so the returned status is usually `stopped`.
    """
    service.stop(run, manager)
    session.refresh(run)
    return SimulationRead.model_validate(service.read(run, manager))


@router.get("/{run_id}/values", responses=error_responses(404))
def get_simulation_values(run: RunForObserver, manager: RunManagerDep) -> ValuesRead:
    """The current value of every port (`component.port`), with forced ports flagged.

    While a run is active the values are read as it ticks; after it ends they are its final values.
    """
    return ValuesRead.model_validate(service.values(run, manager))


@router.get("/{run_id}/forces", responses=error_responses(404))
def list_simulation_forces(run: RunForObserver, manager: RunManagerDep) -> list[ForceRead]:
    """The forces on an active run (those in place when it ended, afterwards)."""
    return [ForceRead.model_validate(f) for f in service.list_forces(run, manager)]


@router.put("/{run_id}/forces", responses=error_responses(403, 404, 409, 422))
def force_port(data: ForceSet, run: RunForOperator, manager: RunManagerDep, session: SessionDep) -> ForceRead:
    """Force a port, as commissioning tools do: it holds `value` against every other writer until released.

    Forcing an output overrides what the component computes; forcing an input overrides its connection or
    binding. The force takes effect at the next tick boundary (`applied` says whether it has).
    During a HIL run, forcing a port whose value reaches a PLC (a write-bound port or anything feeding one) needs
    the caller's PLC-write grant on those endpoints (403 naming them otherwise).
    """
    plc_write.check_force(session, run, manager, f"{data.component}.{data.port}")
    return ForceRead.model_validate(service.set_force(run, manager, data.component, data.port, data.value))


@router.delete(
    "/{run_id}/forces/{component}/{port}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 409),
)
def release_port(run: RunForOperator, component: str, port: str, manager: RunManagerDep) -> Response:
    """Release a forced port: from the next tick boundary it follows the model again."""
    service.release_force(run, manager, component, port)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{run_id}/parameters", responses=error_responses(403, 404, 409, 422))
def change_parameter(data: ParameterSet, run: RunForOperator, manager: RunManagerDep) -> ParameterSet:
    """Change one parameter of a component while the run is active; it applies at the next tick boundary.

    The value is checked against the component type's bounds (422 if outside). The stored model is not
    changed.
    """
    service.set_parameter(run, manager, data.component, data.name, data.value)
    return data


@router.get(
    "/{run_id}/telemetry",
    responses={
        200: {
            "description": "The recorded samples",
            "content": {"application/json": {}, "text/csv": {"example": _CSV_EXAMPLE}},
        },
        **error_responses(404, 422),
    },
    response_model=TelemetryRead,
)
def get_simulation_telemetry(
    run: RunForObserver,
    session: SessionDep,
    manager: RunManagerDep,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
    start: Annotated[
        float | None, Query(allow_inf_nan=False, description="first simulated second to read (default: the first)")
    ] = None,
    end: Annotated[
        float | None, Query(allow_inf_nan=False, description="last simulated second to read (default: the last)")
    ] = None,
    ports: Annotated[
        str | None,
        Query(description="comma-separated recorded ports or globs, e.g. `tank.level,heater.*` (default: all)"),
    ] = None,
    max_points: Annotated[
        int | None,
        Query(ge=2, le=telemetry_service.MAX_POINTS,
              description="at most this many rows, by min/max decimation (default: every sample)"),
    ] = None,
) -> Response | TelemetryRead:
    """The port values the run recorded: every `every`-th tick of the ports chosen in `record`.

    `start` and `end` (simulated seconds, inclusive) pick a time range and `ports` a subset (names or globs of
    recorded ports). `max_points` caps the rows for plotting: the range is cut into `max_points / 2` buckets and
    each keeps every port's minimum and maximum in the order they occurred, at the bucket's first and last
    sample time, so a one-sample spike is never lost; a range with no more samples than `max_points` comes back
    exactly (`decimated: false`; `range_samples` counts the samples in the range).

    While the run is active this is what it has recorded so far; afterwards it is read from storage, where
    it is kept about once a second while the run ticks (a server that dies loses at most the last second).
    CSV (`format=csv`) streams a `time` column and one column per `component.port`, one row per sample,
    booleans as 1/0 and overflowed values as empty cells, without holding the whole run in memory.
    404 if the run records nothing; 422 `invalid_range` when `start` is after `end`, `unknown_port` for a port
    the run did not record.
    """
    query = telemetry_service.TelemetryQuery(
        start=start,
        end=end,
        ports=[p.strip() for p in (ports or "").split(",") if p.strip()],
        max_points=max_points,
    )
    if format == "csv":
        return StreamingResponse(
            telemetry_service.csv_stream(session, run, manager, query),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="run-{run.id}-telemetry.csv"'},
        )
    return TelemetryRead.model_validate(telemetry_service.read(session, run, manager, query))
