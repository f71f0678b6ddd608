"""Stored test scenarios: CRUD with validation against their model, and runs judged in the background.

A stored scenario names its model by ``model_id`` (a stored machine model); the id may instead come from
the ``machine_model_id`` query parameter and is then written into the document, so the stored document
always carries ``model_id``. File paths and inline models (``model``) are for the CLI only.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import ConflictError, NotFoundError, UnprocessableError
from app.db.base import utcnow
from app.db.models import MachineModel, Project
from app.db.scenarios import ACTIVE_SCENARIO_STATUSES, Scenario, ScenarioRun
from app.engine._exceptions import DocumentError
from app.engine.scenarios import (
    AssertionResult,
    ScenarioError,
    ScenarioResult,
    check_scenario,
    html_report,
    junit_xml,
    parse_scenario,
    recorded_ports,
)
from app.engine.scenarios import Scenario as ParsedScenario
from app.services import access, documents, endpoints, limits, model_documents, plc_write
from app.services.common import get_or_404, paginate
from app.services.scenario_runner import STOPPED_MESSAGE, ScenarioRunner

STOP_WAIT_SECONDS = 2.0

__all__ = [
    "create",
    "delete",
    "get_run",
    "get_scenario",
    "html",
    "junit",
    "list_",
    "list_runs",
    "read_run",
    "rerun",
    "run_document",
    "start_run",
    "update",
]


def get_scenario(session: Session, scenario_id: int) -> Scenario:
    """The scenario row, or 404 (also when the request may not see it)."""
    return get_or_404(session, Scenario, scenario_id)


def get_run(session: Session, run_id: int) -> ScenarioRun:
    """The scenario run row, or 404 (also when the request may not see it)."""
    return get_or_404(session, ScenarioRun, run_id)


# ------------------------------------------------------------------------------------------- validation


def _problems_error(message: str, problems: list[dict[str, Any]]) -> UnprocessableError:
    return UnprocessableError(message, problems, code="invalid_scenario")


def _model_document(session: Session, model: MachineModel) -> engine.ModelDocument:
    """The stored model as the engine's document; an unparsable model is a 422 naming its problems."""
    try:
        return engine.parse_document(documents.build_document(session, model))
    except DocumentError as exc:
        raise UnprocessableError(
            f"machine model {model.id} is not a valid model: {exc.message}",
            [{"loc": "model_id", **p} for p in exc.problems],
            code="invalid_model",
        ) from exc


def _checked(
    session: Session, data: dict[str, Any], machine_model_id: int | None
) -> tuple[dict[str, Any], MachineModel, ParsedScenario]:
    """The document with ``model_id`` settled, its model, and the parsed scenario; 422 lists every problem."""
    if not isinstance(data, dict):
        raise _problems_error("a scenario must be an object", [{"loc": "", "message": "must be an object"}])
    data = dict(data)
    if "model" in data:
        raise _problems_error(
            "over the API a scenario runs a stored machine model: give model_id (or ?machine_model_id=)",
            [{"loc": "model", "message": "not supported over the API; use model_id"}],
        )
    if "model_id" not in data:
        if machine_model_id is None:
            raise _problems_error(
                "the scenario names no model: give model_id in the document or ?machine_model_id=",
                [{"loc": "model_id", "message": "required"}],
            )
        data["model_id"] = machine_model_id
    elif machine_model_id is not None and data["model_id"] != machine_model_id:
        raise _problems_error(
            f"model_id {data['model_id']!r} in the document differs from ?machine_model_id={machine_model_id}",
            [{"loc": "model_id", "message": f"differs from machine_model_id={machine_model_id}"}],
        )
    try:
        scenario = parse_scenario(data)
    except ScenarioError as exc:
        raise _problems_error(exc.message, exc.problems) from exc
    model = get_or_404(session, MachineModel, int(data["model_id"]), "model_id")
    problems = check_scenario(scenario, _model_document(session, model))
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise _problems_error(f"{first['loc']}: {first['message']}{more}", problems)
    return data, model, scenario


def _ensure_unique_name(session: Session, project_id: int, name: str, exclude_id: int | None = None) -> None:
    existing = session.scalar(select(Scenario).where(Scenario.project_id == project_id, Scenario.name == name))
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(
            f"project {project_id} already has a scenario named {name!r} (id {existing.id})",
            [{"loc": "name", "existing_id": existing.id}],
            code="duplicate_name",
        )


# ------------------------------------------------------------------------------------------- CRUD


def create(session: Session, data: Any, machine_model_id: int | None = None) -> Scenario:
    """Validate the document against its model and store it; names are unique within the project."""
    document, model, scenario = _checked(session, data, machine_model_id)
    _ensure_unique_name(session, model.project_id, scenario.name)
    row = Scenario(
        project_id=model.project_id,
        machine_model_id=model.id,
        name=scenario.name,
        description=scenario.description,
        document=document,
    )
    session.add(row)
    session.flush()
    return row


def update(session: Session, row: Scenario, data: Any, machine_model_id: int | None = None) -> Scenario:
    """Replace the document (validated as on create); without model_id it keeps the scenario's model."""
    if isinstance(data, dict) and "model_id" not in data and machine_model_id is None:
        machine_model_id = row.machine_model_id
    document, model, scenario = _checked(session, data, machine_model_id)
    _ensure_unique_name(session, model.project_id, scenario.name, exclude_id=row.id)
    row.project_id, row.machine_model_id = model.project_id, model.id
    row.name, row.description, row.document = scenario.name, scenario.description, document
    session.flush()
    return row


def list_(
    session: Session, limit: int, offset: int, project_id: int | None = None, machine_model_id: int | None = None
) -> tuple[Sequence[Scenario], int]:
    """Scenarios in id order, optionally of one project and/or model."""
    stmt = access.restrict(session, select(Scenario).order_by(Scenario.id), Scenario.project_id)
    if project_id is not None:
        get_or_404(session, Project, project_id, "project_id")
        stmt = stmt.where(Scenario.project_id == project_id)
    if machine_model_id is not None:
        get_or_404(session, MachineModel, machine_model_id, "machine_model_id")
        stmt = stmt.where(Scenario.machine_model_id == machine_model_id)
    return paginate(session, stmt, limit, offset)


def delete(session: Session, row: Scenario, runner: ScenarioRunner | None = None) -> None:
    """Delete the scenario and stop its active runs; its runs stay (their scenario_id becomes null)."""
    active = list(session.scalars(select(ScenarioRun.id).where(
        ScenarioRun.scenario_id == row.id, ScenarioRun.status.in_(ACTIVE_SCENARIO_STATUSES))))
    session.delete(row)
    session.flush()
    if runner is not None and active:
        # Once the delete is committed: a rolled-back delete leaves its runs going.
        event.listen(session, "after_commit", lambda _s: [runner.stop(run_id) for run_id in active], once=True)


# ------------------------------------------------------------------------------------------- runs


def start_run(
    session: Session, runner: ScenarioRunner, row: Scenario, data_dir: Path | None = None
) -> ScenarioRun:
    """Check the scenario against its model as it is now, store a pending run, start it once committed.

    ``mode: hil`` needs bindings and, when the model writes to PLCs, the caller's PLC-write permission on those
    endpoints (as starting a HIL simulation does); the PLCs are connected in the run's thread (``data_dir`` keeps
    the client certificate)."""
    document, model, scenario = _checked(session, row.document, row.machine_model_id)
    model_doc = _model_document(session, model)
    problems = engine.check_model(model_doc)
    if problems:
        raise UnprocessableError(
            f"machine model {model.id} cannot run: {problems[0].get('message', '')}",
            [{"loc": "model_id", **p} for p in problems],
            code="invalid_model",
        )
    io_factory = None
    if scenario.mode == "hil":
        io_factory = _hil_io_factory(session, model.project_id, model.id, model_doc, data_dir)
    return _launch(session, runner, document, scenario, model_doc, row.id, model.id, model.project_id, model.name,
                   io_factory=io_factory)


def _hil_io_factory(
    session: Session, project_id: int | None, model_id: int | None, model_doc: engine.ModelDocument,
    data_dir: Path | None,
) -> Callable[[], engine.PortIO]:
    """The PLC adapter of a hil scenario run, made in its thread; 422 without bindings, 403 without the PLC-write
    permission on an endpoint the model writes to."""
    if not model_doc.bindings:
        raise UnprocessableError(
            "mode 'hil' needs bindings: this model binds no port to an OPC UA node",
            [{"loc": "run.mode", "machine_model_id": model_id}],
            code="no_bindings",
        )
    plc_write.check_start(session, project_id, model_doc)
    specs = endpoints.with_stored_passwords(session, project_id, model_doc.endpoints)
    trust_new = limits.settings_of(session).opcua_trust_on_first_use

    def make() -> engine.PortIO:
        from app.engine.hil import OpcUaIO

        return OpcUaIO(specs, data_dir=data_dir, trust_new_certificates=trust_new)

    return make


def _launch(
    session: Session,
    runner: ScenarioRunner,
    document: dict[str, Any],
    scenario: ParsedScenario,
    model_doc: engine.ModelDocument,
    scenario_id: int | None,
    machine_model_id: int | None,
    project_id: int | None,
    model_name: str,
    rerun_of: int | None = None,
    io_factory: Callable[[], engine.PortIO] | None = None,
) -> ScenarioRun:
    """Check the run's size, store it pending (with the model document it runs), start it once committed."""
    dt = scenario.dt or model_doc.dt
    ticks = limits.run_ticks(scenario.duration, dt)
    limits.check_run_size(
        session, ticks=ticks, values=ticks * len(recorded_ports(scenario, model_doc)), what="the scenario run",
        loc={"ticks": "run.duration", "values": "assertions"},
    )
    run = ScenarioRun(
        scenario_id=scenario_id,
        machine_model_id=machine_model_id,
        project_id=project_id,
        scenario_name=scenario.name,
        model_name=model_name,
        model_hash=model_doc.digest(),
        document_hash=model_documents.store(session, model_doc),
        rerun_of=rerun_of,
        engine_version=engine.ENGINE_VERSION,
        status="pending",
        seed=scenario.seed,
        dt=scenario.dt or model_doc.dt,
        duration=scenario.duration,
        wall_time=0.0,
        document=document,
    )
    session.add(run)
    session.flush()
    run_id = run.id
    # The thread writes to this row from its own session: start it only once the row is committed.
    event.listen(session, "after_commit", lambda _s: runner.launch(run_id, scenario, model_doc, io_factory), once=True)
    return run


def rerun(session: Session, runner: ScenarioRunner, run: ScenarioRun, data_dir: Path | None = None) -> ScenarioRun:
    """Run the scenario document ``run`` ran on the model document it ran, again: same seed, dt and duration,
    so the same verdicts and values, whatever became of the scenario and the model since.

    404 ``document_not_kept`` for a run from before model documents were stored. A ``hil`` rerun needs the
    PLC-write permission of a start and the endpoints as they were (409 ``endpoint_changed``, as for simulations)."""
    model_doc = engine.parse_document(
        model_documents.of_run(session, "scenario run", run.id, run.document_hash, run.model_hash)
    )
    try:
        scenario = parse_scenario(run.document)
    except ScenarioError as exc:  # stored by an engine that accepted it
        raise _problems_error(exc.message, exc.problems) from exc
    io_factory = None
    if scenario.mode == "hil":
        endpoints.check_unchanged(session, run.project_id, model_doc)
        io_factory = _hil_io_factory(session, run.project_id, run.machine_model_id, model_doc, data_dir)
    return _launch(session, runner, run.document, scenario, model_doc, run.scenario_id, run.machine_model_id,
                   run.project_id, run.model_name, rerun_of=run.id, io_factory=io_factory)


def run_document(session: Session, run: ScenarioRun) -> dict[str, Any]:
    """The model document a scenario run ran, in canonical form."""
    stored = model_documents.of_run(session, "scenario run", run.id, run.document_hash, run.model_hash)
    return model_documents.canonical(stored)


def stop_run(session: Session, runner: ScenarioRunner, run: ScenarioRun) -> ScenarioRun:
    """Stop an active run at its next tick boundary; it ends ``aborted`` with the time it reached. 409 if it ended."""
    if run.status not in ACTIVE_SCENARIO_STATUSES:
        raise ConflictError(
            f"scenario run {run.id} is not active: it is {run.status}",
            [{"id": run.id, "status": run.status}],
            code="run_not_active",
        )
    if not runner.stop(run.id, wait=STOP_WAIT_SECONDS):
        # Not going in this process (its thread already ended or never started): mark it here.
        session.execute(
            sql_update(ScenarioRun)
            .where(ScenarioRun.id == run.id, ScenarioRun.status.in_(ACTIVE_SCENARIO_STATUSES))
            .values(status="aborted", error=STOPPED_MESSAGE, finished_at=utcnow())
        )
    session.refresh(run)
    return run


def list_runs(session: Session, row: Scenario, limit: int, offset: int) -> tuple[Sequence[ScenarioRun], int]:
    """The scenario's runs, newest first."""
    stmt = select(ScenarioRun).where(ScenarioRun.scenario_id == row.id).order_by(ScenarioRun.id.desc())
    return paginate(session, stmt, limit, offset)


def read_run(run: ScenarioRun) -> dict[str, Any]:
    """The run's fields with the assertion results and fault periods of its stored result."""
    fields = {c.key: getattr(run, c.key) for c in ScenarioRun.__table__.columns if c.key not in ("series",)}
    result = run.result or {}
    assertions = result.get("assertions", [])
    fields.update(
        ticks=result.get("ticks"),
        assertions=assertions,
        assertions_total=len(assertions),
        assertions_failed=sum(not a["passed"] for a in assertions),
        fault_periods=result.get("fault_periods", []),
        degraded=bool(result.get("degraded")),
        quality=result.get("quality"),
    )
    return fields


def _result(run: ScenarioRun, with_series: bool) -> ScenarioResult:
    """The engine's result object rebuilt from the stored row (for the report renderers)."""
    if run.result is None:
        raise NotFoundError(
            f"scenario run {run.id} has no result: it is {run.status}" + (f" ({run.error})" if run.error else ""),
            [{"id": run.id, "status": run.status}],
            code="no_result",
        )
    data = dict(run.result)
    data.pop("failures", None)
    data.pop("trace", None)
    data.pop("series", None)
    assertions = [
        AssertionResult(**{**a, "window": tuple(a["window"]) if a.get("window") else None})
        for a in data.pop("assertions")
    ]
    series: dict[str, Any] = {}
    if with_series and run.series is not None:
        series = json.loads(zlib.decompress(run.series))
    return ScenarioResult(**data, assertions=assertions, series=series)


def junit(run: ScenarioRun) -> str:
    """JUnit XML of the run: one testsuite, one testcase per assertion."""
    return junit_xml([_result(run, with_series=False)], name=run.scenario_name)


def html(run: ScenarioRun) -> str:
    """A self-contained HTML report of the run with a plot per assertion."""
    return html_report([_result(run, with_series=True)], title=f"Scenario run {run.id}: {run.scenario_name}")
