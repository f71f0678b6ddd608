"""Simulation runs: start a stored model, follow, force, change and stop it (its telemetry: ``telemetry.py``).

The stored model becomes a document (``documents.build_document``), the engine parses and compiles it in
the request (so an invalid model is a 422 listing every problem), and the run's thread starts only once
its row is committed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import ConflictError, NotFoundError, UnprocessableError
from app.db.base import utcnow
from app.db.models import MachineModel
from app.db.runs import ACTIVE_STATUSES, SimulationRun
from app.engine.hil.runner import TwinLink, TwinServerError
from app.schemas.simulations import SimulationStart
from app.services import (
    access,
    documents,
    endpoints,
    limits,
    model_documents,
    plc_waits,
    plc_write,
    simulation_faults,
)
from app.services.common import engine_errors, get_or_404, paginate, release_connection
from app.services.run_events import stored_events, user_of
from app.services.run_manager import RunHandle, RunManager, active_handle
from app.services.twin_accounts import server_security

STOP_WAIT_SECONDS = 2.0


def get_run(session: Session, run_id: int) -> SimulationRun:
    """The run row, or 404 (also when the request may not see it)."""
    return get_or_404(session, SimulationRun, run_id)


def _open_link(
    session: Session,
    project_id: int | None,
    sim: engine.Simulator,
    data: SimulationStart,
    data_dir: Path | None,
) -> tuple[TwinLink | None, dict[str, Any] | None]:
    """Serve the twin and/or connect its PLCs before the run exists: (link, None), or (None, failure) when an
    endpoint cannot be reached (the run is then recorded as failed). Binding problems are a 422 listing all."""
    hil = data.mode == "hil"
    if hil and not sim.plan.doc.bindings:
        raise UnprocessableError(
            "mode 'hil' needs bindings: this model binds no port to an OPC UA node",
            [{"loc": "mode", "machine_model_id": data.machine_model_id}],
            code="no_bindings",
        )
    server = data.opcua_server
    link = TwinLink(
        sim,
        hil=hil,
        endpoints=endpoints.with_stored_passwords(session, project_id, sim.plan.doc.endpoints) if hil else None,
        data_dir=data_dir,
        on_disconnect=data.on_disconnect,
        server_port=server.port if server is not None else None,
        server_host=server.host if server is not None else "127.0.0.1",
        server_security=server_security(session, project_id, server, sim.plan.doc, hil),
        time_scale=data.time_scale,
        trust_new_certificates=limits.settings_of(session).opcua_trust_on_first_use,
    )
    try:
        with plc_waits.waiting_on_plc(session):
            release_connection(session)  # nothing is written yet; the run row is added after the wait
            link.open()
    except TwinServerError as exc:
        raise ConflictError(
            str(exc),
            [{"loc": "opcua_server.port", "port": server.port if server else None}],
            code="opcua_server_unavailable",
        ) from exc
    except engine.PortIOError as exc:
        if any("port" in p for p in exc.problems):
            raise UnprocessableError(exc.message, exc.problems, code="invalid_bindings") from exc
        failed = {
            p["endpoint"]: {"url": p.get("url"), "state": "failed", "last_error": p.get("reason")}
            for p in exc.problems
            if "endpoint" in p
        }
        return None, {
            "message": exc.message,
            "io": {"state": "failed", "on_disconnect": data.on_disconnect, "endpoints": failed},
        }
    return link, None


def start(session: Session, manager: RunManager, data: SimulationStart, data_dir: Path | None = None) -> SimulationRun:
    """Check and compile the model, store a pending run, and start ticking once the row is committed.

    ``mode="hil"`` and ``opcua_server`` connect before the row is stored: bad bindings are refused (422, every
    problem), an unreachable PLC is stored as a ``failed`` run naming the endpoint and the reason.
    """
    model = get_or_404(session, MachineModel, data.machine_model_id, "machine_model_id")
    with engine_errors():
        document = engine.parse_document(documents.build_document(session, model))
    return _start(session, manager, document, data, data_dir, model.project_id, model.name)


def _start(
    session: Session,
    manager: RunManager,
    document: engine.ModelDocument,
    data: SimulationStart,
    data_dir: Path | None,
    project_id: int | None,
    model_name: str,
    rerun_of: SimulationRun | None = None,
) -> SimulationRun:
    """Compile ``document``, connect what the run needs, store the run (and the document), start once committed.

    A rerun passes the run it repeats: its row keeps that run's model id even when the model is gone, and it
    ticks on the stored document, so live edits of the model do not reach it."""
    with engine_errors():
        sim = engine.Simulator(document, dt=data.dt, seed=data.seed)
    if data.record is not None:
        with engine_errors("record"):
            sim.set_recording(data.record.ports, data.record.every)
    if data.duration is not None:  # an open-ended run is bounded by its recording cap and the stop request
        ticks = limits.run_ticks(data.duration, sim.dt)
        recorded = len(sim.recording.ports) * math.ceil(ticks / sim.recording.every) if sim.recording else 0
        limits.check_run_size(session, ticks=ticks, values=recorded, what="the run", loc={})
    link, failure = None, None
    if data.mode == "hil":
        plc_write.check_start(session, project_id, document)
    if data.mode == "hil" or data.opcua_server is not None:
        link, failure = _open_link(session, project_id, sim, data, data_dir)
    realtime = data.realtime or data.mode == "hil"  # a PLC in the loop lives in wall-clock time
    run = SimulationRun(
        machine_model_id=rerun_of.machine_model_id if rerun_of is not None else data.machine_model_id,
        project_id=project_id,
        model_name=model_name,
        model_hash=document.digest(),
        # Stored after the PLC wait above, which commits what the request did so far.
        document_hash=model_documents.store(session, document),
        settings=data.model_dump(mode="json", exclude={"machine_model_id"}),
        rerun_of=rerun_of.id if rerun_of is not None else None,
        engine_version=engine.ENGINE_VERSION,
        mode=data.mode,
        status="pending",
        dt=sim.dt,
        duration=data.duration,
        realtime=realtime,
        time_scale=data.time_scale,
        seed=data.seed,
        record=data.record.model_dump() if data.record is not None else None,
        tick=0,
        sim_time=0.0,
        wall_time=0.0,
        overruns=0,
        mean_lateness=0.0,
        max_lateness=0.0,
    )
    if failure is not None:
        run.status, run.error, run.io, run.finished_at = "failed", failure["message"], failure["io"], utcnow()
    session.add(run)
    session.flush()
    if failure is not None:
        return run
    if link is not None:
        clock: engine.FastClock | engine.WallClock = link.clock if realtime else engine.FastClock()
    else:
        clock = engine.WallClock(data.time_scale) if realtime else engine.FastClock()
    follows = data.machine_model_id if rerun_of is None else None  # a rerun keeps to its stored document
    handle = RunHandle(run.id, sim, data.duration, clock, link=link, machine_model_id=follows)
    if link is not None:
        run.io = handle.io_status()
        link.on_client_force = lambda ref, value: _client_forced(handle, ref, value)
        # Opened in this request: released if the row never commits (once launched, the run thread closes it).
        def release_link(_session: Session) -> None:
            if handle.thread is None:
                link.close()

        event.listen(session, "after_rollback", release_link, once=True)
    # The thread writes to this row from its own session: it must not start before the row is visible,
    # and must not start at all if the request's transaction rolls back.
    event.listen(session, "after_commit", lambda _session: manager.launch(handle), once=True)
    return run


def rerun(session: Session, manager: RunManager, run: SimulationRun, data_dir: Path | None = None) -> SimulationRun:
    """Run exactly what ``run`` ran again: its stored document (whatever became of the model since), its dt,
    duration, seed, record, pacing, mode and served twin, through the same checks as a start.

    404 ``document_not_kept`` for a run from before documents were stored. A HIL rerun needs the PLC-write grants
    of a start, and each endpoint of the document must still exist in the project with the same connection
    settings (409 ``endpoint_changed``): the stored password belongs to the endpoint as it is now."""
    stored = model_documents.of_run(session, "simulation run", run.id, run.document_hash, run.model_hash)
    with engine_errors():
        document = engine.parse_document(stored)
    settings = dict(run.settings or {})
    # The row keeps the original's model id (or none, once the model is gone); the request only needs one.
    data = SimulationStart.model_validate({**settings, "machine_model_id": run.machine_model_id or 0, "dt": run.dt})
    if data.mode == "hil":
        endpoints.check_unchanged(session, run.project_id, document)
    return _start(session, manager, document, data, data_dir, run.project_id, run.model_name, rerun_of=run)


def document(session: Session, run: SimulationRun) -> dict[str, Any]:
    """The model document the run ran, in canonical form (as the model export writes it)."""
    stored = model_documents.of_run(session, "simulation run", run.id, run.document_hash, run.model_hash)
    return model_documents.canonical(stored)


def _client_forced(handle: RunHandle, ref: str, value: Any) -> None:
    """An OPC UA client wrote an input of the served twin: it holds like a force (logged when it begins)."""
    new = ref not in handle.forces
    handle.forces[ref] = value
    if new:
        handle.log_event("force", f"{ref} forced to {value!r} by an OPC UA client", port=ref, value=value,
                         source="opcua")


def read(run: SimulationRun, manager: RunManager) -> dict[str, Any]:
    """The run's fields, with live counters while it is active."""
    fields = {column.key: getattr(run, column.key) for column in SimulationRun.__table__.columns}
    return with_live_counters(fields, manager.get(run.id))


def with_live_counters(row_fields: dict[str, Any], handle: RunHandle | None) -> dict[str, Any]:
    """A run row's fields (as a dict) brought up to date from its handle while it is active."""
    fields = dict(row_fields)
    fields["model_edits"] = None
    if handle is not None:
        fields.update(handle.counters())
        if handle.status in ACTIVE_STATUSES:
            fields["model_edits"] = dict(handle.model_edits)
    wall = fields["wall_time"]
    fields["real_time_factor"] = fields["sim_time"] / wall if wall > 0 else None
    return fields


def list_(
    session: Session,
    limit: int,
    offset: int,
    machine_model_id: int | None = None,
    status: str | None = None,
) -> tuple[Sequence[SimulationRun], int]:
    """Runs, newest first, optionally of one model and/or with one status."""
    stmt = access.restrict(session, select(SimulationRun).order_by(SimulationRun.id.desc()), SimulationRun.project_id)
    if machine_model_id is not None:
        get_or_404(session, MachineModel, machine_model_id, "machine_model_id")
        stmt = stmt.where(SimulationRun.machine_model_id == machine_model_id)
    if status is not None:
        stmt = stmt.where(SimulationRun.status == status)
    return paginate(session, stmt, limit, offset)


def stop(run: SimulationRun, manager: RunManager) -> None:
    """Ask the run to stop at the next tick boundary and wait briefly for it to finish."""
    handle = active_handle(run, manager)
    handle.stopped_by = user_of(run)
    handle.sim.stop_requested = True
    if handle.thread is not None:
        handle.thread.join(STOP_WAIT_SECONDS)


def values(run: SimulationRun, manager: RunManager) -> dict[str, Any]:
    """Every port's value (live while active, the final ones afterwards); forced and faulted ports flagged."""
    handle = manager.get(run.id)
    if handle is not None:
        tick = handle.sim.tick
        snapshot = handle.sim.snapshot()
        forced = handle.sim.forces
        faulted = simulation_faults.faulted_ports(handle.sim)
        status = handle.status
    elif run.final_values is not None:
        tick = run.final_values["tick"]
        snapshot = run.final_values["values"]
        forced = run.final_values["forced"]
        faulted = set()  # faults end with the run
        status = run.status
    else:
        raise NotFoundError(
            f"simulation run {run.id} ended ({run.status}) without keeping its values",
            [{"id": run.id}],
            code="no_values",
        )
    return {
        "run_id": run.id,
        "status": status,
        "tick": tick,
        "sim_time": tick * run.dt,
        "values": [
            {"port": port, "value": value, "forced": port in forced, "faulted": port in faulted}
            for port, value in snapshot.items()
        ],
    }


def _port_ref(component: str, port: str) -> str:
    return f"{component}.{port}"


def set_force(run: SimulationRun, manager: RunManager, component: str, port: str, value: Any) -> dict[str, Any]:
    """Hold a port at a value against every other writer (from the next tick boundary) until released."""
    handle = active_handle(run, manager)
    ref = _port_ref(component, port)
    with engine_errors():
        handle.sim.force(ref, value)
    handle.forces[ref] = value
    handle.log_event("force", f"{ref} forced to {value!r}", user=user_of(run), port=ref, value=value, source="api")
    return _force_read(handle, ref, value)


def release_force(run: SimulationRun, manager: RunManager, component: str, port: str) -> None:
    """Release a force from the next tick boundary; 404 if the port is not forced."""
    handle = active_handle(run, manager)
    ref = _port_ref(component, port)
    if ref not in handle.forces:
        raise NotFoundError(f"{ref} is not forced", [{"component": component, "port": port}], code="not_forced")
    # Queued for the next tick boundary, after any force still waiting there, so the release always wins.
    handle.sim.release(ref)
    handle.forces.pop(ref, None)
    handle.log_event("release", f"{ref} released", user=user_of(run), port=ref)


def _force_read(handle: RunHandle, ref: str, value: Any) -> dict[str, Any]:
    component, port = ref.split(".", 1)
    applied = handle.sim.forces
    return {"component": component, "port": port, "value": value, "applied": ref in applied and applied[ref] == value}


def list_forces(run: SimulationRun, manager: RunManager) -> list[dict[str, Any]]:
    """Forces requested on an active run, or those in place when it ended."""
    handle = manager.get(run.id)
    if handle is not None:
        return [_force_read(handle, ref, value) for ref, value in sorted(handle.forces.items())]
    forced = (run.final_values or {}).get("forced", {})
    return [
        {"component": ref.split(".", 1)[0], "port": ref.split(".", 1)[1], "value": value, "applied": True}
        for ref, value in sorted(forced.items())
    ]


def set_parameter(run: SimulationRun, manager: RunManager, component: str, name: str, value: Any) -> None:
    """Change one parameter of a component of an active run; applies at the next tick boundary."""
    handle = active_handle(run, manager)
    with engine_errors():
        handle.sim.set_parameter(component, name, value)
    handle.log_event(
        "parameter", f"{component}.{name} set to {value!r}", user=user_of(run), component=component, name=name,
        value=value,
    )


def set_time_scale(run: SimulationRun, manager: RunManager, time_scale: float) -> None:
    """Change the pace of an active paced run from its next tick on, without a jump in simulated time.

    409 ``run_not_active`` once it has ended, 409 ``run_not_paced`` for a run going as fast as it can.
    """
    handle = active_handle(run, manager)
    clock = handle.clock
    if not isinstance(clock, engine.WallClock):
        raise ConflictError(
            f"simulation run {run.id} runs as fast as possible; only a realtime (paced) run has a time scale",
            [{"loc": "body.time_scale", "id": run.id, "realtime": False}],
            code="run_not_paced",
        )
    previous = clock.time_scale
    clock.set_time_scale(time_scale)
    if time_scale != previous:
        handle.log_event(
            "time_scale",
            f"time scale changed from {previous:g}x to {time_scale:g}x",
            user=user_of(run),
            previous=previous,
            time_scale=time_scale,
        )


def events(session: Session, run: SimulationRun, manager: RunManager, after_seq: int = 0) -> list[dict[str, Any]]:
    """The run's event log after ``after_seq``: live while it is active, from storage afterwards."""
    handle = manager.get(run.id)
    if handle is not None:
        return handle.events.after(after_seq)
    return stored_events(session, run.id, after_seq)


__all__ = [
    "ACTIVE_STATUSES",
    "document",
    "events",
    "get_run",
    "list_",
    "list_forces",
    "read",
    "release_force",
    "rerun",
    "set_force",
    "set_parameter",
    "set_time_scale",
    "start",
    "stop",
    "values",
    "with_live_counters",
]
