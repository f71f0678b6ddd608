"""Schemas of stored scenarios, their runs and results, and faults injected into running simulations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import ReadBase
from app.schemas.simulations import ReadQuality

ScenarioRunStatus = Literal["pending", "running", "completed", "failed", "aborted"]

EXAMPLE_SCENARIO: dict[str, Any] = {
    "name": "gain doubles the ramp",
    "model_id": 1,
    "run": {"duration": 2.0, "dt": 0.01, "seed": 1},
    "faults": [{"at": 1.0, "for": 0.5, "port": "ramp.out", "type": "stuck", "value": 0}],
    "assertions": [
        {"name": "never negative", "always": "g.out >= 0"},
        {"name": "reaches 3", "eventually": "g.out >= 3", "within": [1.5, 2.0]},
    ],
}
EXAMPLE_SCENARIO_YAML = """name: gain doubles the ramp
model_id: 1
run: {duration: 2.0, dt: 0.01, seed: 1}
faults:
  - {at: 1.0, for: 0.5, port: ramp.out, type: stuck, value: 0}
assertions:
  - {name: never negative, always: "g.out >= 0"}
  - {name: reaches 3, eventually: "g.out >= 3", within: [1.5, 2.0]}
"""


class ScenarioRead(ReadBase):
    """A stored scenario; ``document.model_id`` always equals ``machine_model_id``."""

    project_id: int
    machine_model_id: int
    name: str
    description: str
    document: dict[str, Any] = Field(description="the scenario document (see `GET /api/v1/scenarios/schema`)")


class AssertionResultRead(BaseModel):
    """The verdict of one assertion: what was expected, what was seen, and when it failed."""

    index: int
    name: str
    kind: Literal["always", "eventually", "after", "at"]
    description: str
    passed: bool
    message: str
    expected: str
    actual: str | None
    time: float | None = Field(description="seconds: when it failed (or was satisfied); null if it held throughout")
    window: list[float] | None = Field(description="[t0, t1] in seconds, if the assertion has one")
    ports: list[str]
    values_at_time: dict[str, Any] = Field(description="the ports' values at `time`")
    trigger_times: list[float] = Field(description="after: every trigger occurrence judged")
    response_times: list[float | None] = Field(description="after: seconds to respond, null where it never did")


class FaultPeriodRead(BaseModel):
    """One stretch of simulated time during which a fault was active."""

    fault: int = Field(description="index in the scenario's faults")
    name: str
    type: str
    target: str = Field(description="the port or component faulted")
    start: float
    end: float


class ScenarioRunRead(BaseModel):
    """A scenario run: status while it goes, then the verdict and every assertion's result."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    scenario_id: int | None = Field(description="null once the scenario is deleted")
    scenario_name: str
    machine_model_id: int | None = Field(description="null once the model is deleted")
    project_id: int | None = Field(None, description="the project the run belongs to (kept when the model goes)")
    model_name: str
    model_hash: str = Field(description="sha256 of the canonical model document the run ran")
    document_hash: str | None = Field(
        None,
        description="the stored model document the run ran (equal to `model_hash`), returned by "
        "`GET /scenario-runs/{id}/model`; null for runs started before runs kept their document",
    )
    rerun_of: int | None = Field(None, description="the scenario run this one reruns, if any")
    engine_version: str
    status: ScenarioRunStatus
    verdict: Literal["passed", "failed"] | None = Field(description="null until completed (and when the run failed)")
    seed: int
    dt: float
    duration: float
    ticks: int | None = Field(None, description="samples taken (0..duration/dt)")
    assertions_total: int = 0
    assertions_failed: int = 0
    assertions: list[AssertionResultRead] = Field(default_factory=list)
    fault_periods: list[FaultPeriodRead] = Field(default_factory=list)
    wall_time: float = Field(description="seconds the run took")
    error: str | None
    degraded: bool = Field(
        False,
        description="mode hil: the run was degraded (a PLC lost for a while, stale or bad read samples, dropped "
        "writes); the verdict still stands, judged on the values the twin held",
    )
    quality: ReadQuality | None = Field(None, description="mode hil: how many read samples were stale or bad")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class FaultCreate(BaseModel):
    """A fault to inject into a running simulation; options as in a scenario's `faults` (see the README)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"port": "tank.level", "type": "stuck", "value": 0.2, "for": 5.0},
                {"port": "sensor.out", "type": "noise", "std": 0.05},
                {"component": "motor", "type": "motor_failure", "factor": 3.0, "health_drop": 0.2},
            ]
        },
    )

    type: str = Field(
        description="stuck, offset, drift, noise, open, short, delay, dropout (ports); "
        "motor_failure, jam, leak (components)"
    )
    port: str | None = Field(None, description="`component.port` for port faults")
    component: str | None = Field(None, description="component name for motor_failure, jam and leak")
    name: str | None = None
    value: float | bool | None = Field(None, description="stuck: the value; offset: added; leak: flow fraction")
    rate: float | None = Field(None, description="drift: units per second")
    std: float | None = Field(None, description="noise: standard deviation")
    seconds: float | None = Field(None, description="delay: transport delay in seconds")
    probability: float | None = Field(None, description="dropout: chance per tick")
    mode: Literal["zero", "hold"] | None = Field(None, description="dropout: read 0/false, or hold the last value")
    factor: float | None = Field(None, description="motor_failure: current multiplier")
    health_drop: float | None = Field(None, description="motor_failure: health taken off at once")
    for_: float | None = Field(
        None, alias="for", gt=0, description="simulated seconds until it clears itself; absent lasts until deleted"
    )


class FaultRead(BaseModel):
    """A fault active on a running simulation."""

    id: int
    type: str
    port: str | None
    component: str | None
    name: str
    options: dict[str, Any]
    for_: float | None = Field(serialization_alias="for", description="seconds it lasts; null until deleted")
    status: Literal["pending", "active"] = Field(description="pending until the next tick boundary applies it")
    started_at: float | None = Field(description="simulated time it took effect")
    ends_at: float | None = Field(description="simulated time it clears itself")
    ports: list[str] = Field(description="the ports flagged as faulted in `values`")
