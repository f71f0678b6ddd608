"""Schemas of simulation runs: start settings, status, values, forces, parameter changes, telemetry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, computed_field, field_validator

from app.engine.clock import MAX_TIME_SCALE, MIN_TIME_SCALE
from app.engine.hil.server import is_loopback
from app.schemas.resources import SecurityMode

RunStatus = Literal["pending", "running", "degraded", "completed", "stopped", "failed", "aborted"]
PortValue = bool | int | float


class RecordSettings(BaseModel):
    """Which ports to sample and how often; ``ports: null`` records every port."""

    model_config = ConfigDict(extra="forbid")

    ports: list[str] | None = Field(
        None, description="glob patterns over `component.port` names, e.g. `tank.*`; null records every port"
    )
    every: int = Field(1, ge=1, description="sample every k-th tick")


class OpcUaServerSettings(BaseModel):
    """Serve the running twin as an OPC UA server on this TCP port: on a loopback address without security, on any
    address with ``security_mode`` Sign or SignAndEncrypt (Basic256Sha256, the platform's user accounts)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"port": 4841}, {"port": 4841, "host": "0.0.0.0", "security_mode": "Sign"}]},
    )

    port: int = Field(ge=1, le=65535, description="TCP port of opc.tcp://HOST:PORT")
    security_mode: SecurityMode = Field(
        "None",
        description="None: SecurityPolicy None, anonymous sessions, loopback only. Sign or SignAndEncrypt: "
        "SecurityPolicy Basic256Sha256 in that mode only (no None endpoint), user-name logins only (no anonymous "
        "session): an active platform user with at least the operator role in the run's project (platform admins "
        "too), since a client write forces an input; in a HIL run that writes to a PLC, also the PLC-write "
        "permission on every endpoint it writes to. Needs a user to exist (409 otherwise). The server's "
        "self-signed certificate is made on first use in DATA_DIR/pki and sent to clients when they connect",
    )
    host: str = Field(
        "127.0.0.1",
        description="interface to listen on: without security a loopback address only (127.0.0.1, ::1, localhost), "
        "because a client write forces an input; with security_mode Sign or SignAndEncrypt any address, e.g. "
        "0.0.0.0 for every interface",
    )

    @field_validator("host")
    @classmethod
    def _loopback_unless_secured(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("security_mode", "None") == "None" and not is_loopback(value):
            raise ValueError(
                "without security the twin's OPC UA server listens on a loopback address only (127.0.0.1, ::1, "
                "localhost); to listen on another address set security_mode to Sign or SignAndEncrypt"
            )
        return value


class SimulationStart(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"machine_model_id": 1, "mode": "sim", "duration": 10.0, "record": {"ports": ["tank.*"], "every": 10}}
            ]
        },
    )

    machine_model_id: int
    mode: Literal["sim", "hil"] = "sim"
    dt: float | None = Field(None, gt=0, description="step in seconds; defaults to the model's dt")
    duration: float | None = Field(None, gt=0, description="simulated seconds; absent runs until stopped")
    realtime: bool = Field(False, description="pace ticks to the wall clock instead of running as fast as possible")
    time_scale: float = Field(1.0, ge=MIN_TIME_SCALE, le=MAX_TIME_SCALE, description="with realtime: 2 = twice as fast")
    seed: int = Field(0, description="seed of every random source in the model")
    record: RecordSettings | None = Field(None, description="absent records nothing")
    opcua_server: OpcUaServerSettings | None = Field(
        None,
        description="serve every port as Objects/<model>/<component>/<port>, node ids `<component>.<port>` in "
        "namespace `urn:dtwin:twin`; a client write to an input forces it. Beyond loopback only with "
        "`security_mode` Sign or SignAndEncrypt (user accounts)",
    )
    on_disconnect: Literal["continue", "stop"] = Field(
        "continue", description="hil: on a lost PLC keep ticking on held values and reconnect, or stop the run (failed)"
    )


class Timing(BaseModel):
    count: int
    median: float | None = Field(description="milliseconds")
    p99: float | None = Field(description="milliseconds")
    max: float | None = Field(None, description="milliseconds")


class BindingQuality(BaseModel):
    """How often one read binding's value was held (stale) or answered Bad by the PLC."""

    port: str
    endpoint: str
    node_id: str
    stale: int = Field(description="ticks whose read gave no fresh value (PLC unreachable, read failed or timed out)")
    bad: int = Field(description="ticks on which the PLC answered a Bad status for the node")
    stale_ratio: float = Field(description="stale / ticks read")
    bad_ratio: float = Field(description="bad / ticks read")


class ReadQuality(BaseModel):
    """Quality of the values the PLC delivered, over every tick of the run; telemetry marks each sample in the column
    `<component>.<port>:quality` (0 good, 1 stale, 2 bad) next to its port."""

    ticks: int = Field(description="ticks that read the PLC")
    samples: int = Field(description="ticks x read bindings")
    stale: int = Field(description="samples holding the last good value (PLC unreachable, read failed or timed out)")
    bad: int = Field(description="samples the PLC answered a Bad status for")
    stale_ratio: float = Field(description="stale / samples")
    bad_ratio: float = Field(description="bad / samples")
    degraded_ticks: int = Field(description="ticks on which at least one read binding was stale or bad")
    degraded_time: float = Field(description="simulated seconds of those ticks (degraded_ticks x dt)")
    bindings: list[BindingQuality] = Field(default_factory=list)


class RunIO(BaseModel):
    """I/O health of a hardware-in-the-loop run (and of the served twin, if any)."""

    state: str | None = Field(None, description="connecting, connected, degraded, failed or closed; null without HIL")
    on_disconnect: str | None = None
    reconnects: int = 0
    seconds_degraded: float = 0.0
    read_ms: Timing | None = Field(None, description="per-tick time of the batched reads")
    write_ms: Timing | None = Field(None, description="per-tick time of the batched writes")
    binding_errors: list[dict[str, Any]] = Field(default_factory=list, description="bindings whose node failed")
    endpoints: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per endpoint health (state, reconnects, seconds_degraded, dropped_writes)"
    )
    dropped_writes: int = Field(0, description="ticks whose Write to an endpoint was dropped: it was not connected")
    quality: ReadQuality | None = Field(None, description="hil: how many read samples were stale or bad")
    degraded: bool = Field(
        False,
        description="the run has been degraded at some point: a PLC connection lost, a stale or bad read sample, or "
        "a dropped write",
    )
    opcua_server: dict[str, Any] | None = Field(None, description="the served twin: url, namespace, counters")


class ModelEdits(BaseModel):
    applied: int = Field(0, description="edits taken by the run")
    last: Literal["parameters", "graph"] | None = Field(None, description="kind of the last edit taken")
    error: dict[str, Any] | None = Field(None, description="why the last edit was not taken (message, problems)")


class SimulationRead(BaseModel):
    """A run's settings, progress counters and outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    machine_model_id: int | None
    model_name: str
    model_hash: str = Field(description="sha256 of the canonical model document the run ran")
    document_hash: str | None = Field(
        None,
        description="the stored document the run ran (equal to `model_hash`), returned by "
        "`GET /simulations/{id}/model`; null for runs started before runs kept their document (only `model_hash` is "
        "known, and they cannot be rerun)",
    )
    settings: dict[str, Any] | None = Field(
        None,
        description="the start request as given, without `machine_model_id` (`dt` null: the model's); what "
        "`POST /simulations/{id}/rerun` replays. Null for runs from before it was kept",
    )
    rerun_of: int | None = Field(None, description="the run this one reruns, if any")
    engine_version: str
    mode: str
    status: RunStatus
    dt: float
    duration: float | None
    realtime: bool
    time_scale: float
    seed: int
    record: RecordSettings | None
    tick: int
    sim_time: float
    wall_time: float
    real_time_factor: float | None = Field(None, description="simulated seconds per wall-clock second")
    overruns: int = Field(description="paced runs: ticks that started more than one step late")
    mean_lateness: float
    max_lateness: float
    error: str | None
    io: RunIO | None = Field(None, description="hil runs and served twins: I/O health")
    model_edits: ModelEdits | None = Field(
        None,
        description="while active: edits of the stored model pushed to this run. Parameter and input edits apply "
        "at the next tick boundary; graph edits are compiled first and swapped in at the boundary, keeping the "
        "state of components that stay. An edit the run cannot take is reported in `error` and the run keeps "
        "its model.",
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @computed_field(  # type: ignore[prop-decorator]
        description="true once a hil run has been degraded (a PLC lost, stale or bad read samples, dropped writes): a "
        "run that ends so keeps its status (`completed`, `stopped`, ...) and says it here; details in `io`"
    )
    @property
    def degraded(self) -> bool:
        return self.io is not None and self.io.degraded


class PortReading(BaseModel):
    port: str = Field(examples=["tank.level"])
    value: PortValue | None = Field(description="null when the value overflowed (NaN or ±Infinity)")
    forced: bool = False
    faulted: bool = Field(False, description="under an active fault (see the run's `faults`)")


class ValuesRead(BaseModel):
    """Every port's value at ``tick``; forced and faulted ports are flagged."""

    run_id: int
    status: RunStatus
    tick: int
    sim_time: float
    values: list[PortReading]


class ForceSet(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"component": "valve", "port": "command", "value": 1.0}]}
    )

    component: str = Field(min_length=1)
    port: str = Field(min_length=1)
    value: PortValue


class ForceRead(BaseModel):
    component: str
    port: str
    value: PortValue
    applied: bool = Field(description="false until the next tick boundary has put the force in place")


class ParameterSet(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"component": "heater", "name": "max_power", "value": 2000}]}
    )

    component: str = Field(min_length=1)
    name: str = Field(min_length=1)
    value: Any


class TelemetryRead(BaseModel):
    """Recorded samples: ``times[i]`` with ``series[port][i]``."""

    run_id: int
    ports: list[str]
    every: int
    samples: int = Field(description="rows returned")
    range_samples: int = Field(0, description="samples in the requested range (more than `samples` when decimated)")
    decimated: bool = Field(False, description="true when `max_points` cut the range to min/max buckets")
    truncated: bool = Field(description="true when the run recorded more than the sample limit; later ones dropped")
    times: list[float]
    series: dict[str, list[PortValue | None]] = Field(
        description="per port, one value per time; null for an overflowed value or a port a live edit removed"
    )


EventKind = Literal[
    "started",
    "force",
    "release",
    "fault_injected",
    "fault_cleared",
    "parameter",
    "time_scale",
    "io_disconnected",
    "io_reconnected",
    "model_edit_applied",
    "model_edit_refused",
    "finished",
]


class EventRead(BaseModel):
    """One entry of a run's event log (the stream sends the same object with `"type": "event"`)."""

    seq: int = Field(description="1, 2, 3... per run")
    kind: EventKind
    tick: int = Field(description="the run's tick when it happened")
    t: float = Field(description="simulated time in seconds (tick * dt)")
    at: datetime = Field(description="wall-clock time (UTC)")
    message: str = Field(description="what happened, for people", examples=["outlet_valve.command forced to 0.0"])
    user: str | None = Field(
        None, description="the user whose request caused it (null: the run itself, an OPC UA client, local mode)"
    )
    data: dict[str, Any] = Field(
        description="the details, by kind: force {port, value, source}, release {port}, fault_injected / "
        "fault_cleared {fault_id, type, port, component, ports, ...}, parameter {component, name, value}, "
        "time_scale {previous, time_scale}, io_* {state, endpoints}, model_edit_applied {kind}, "
        "model_edit_refused {message, problems}, started {duration, time_scale}, finished {status, error}"
    )


class SimulationUpdate(BaseModel):
    """Changes to an active run (absent fields stay as they are)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"time_scale": 5.0}]})

    time_scale: float | None = Field(
        None,
        ge=MIN_TIME_SCALE,
        le=MAX_TIME_SCALE,
        description="simulated seconds per wall-clock second for a paced (realtime) run, from its next tick on",
    )


class FaultTypeRead(BaseModel):
    """A fault type that `POST /simulations/{id}/faults` (and a scenario's `faults`) accepts."""

    type: str = Field(examples=["stuck"])
    target: Literal["port", "component"] = Field(description="whether it takes `port` or `component`")
    component_types: list[str] | None = Field(
        description="component faults: the component types it applies to; null for port faults"
    )
    description: str
    options: dict[str, Any] = Field(
        description="JSON Schema object of its other fields: `properties` {name: {type, default, minimum, "
        "maximum, description, enum}} and `required`"
    )
