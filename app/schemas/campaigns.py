"""Schemas of campaigns: what to run (a stored scenario, seeds, a parameter grid, metrics) and what was found."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CampaignStatus = Literal["pending", "running", "completed", "failed", "aborted"]
Scalar = float | int | bool | str

EXAMPLE_CAMPAIGN: dict[str, Any] = {
    "scenario_id": 1,
    "seeds": 200,
    "sweep": {"tank.area": [0.04, 0.05, 0.06], "level_pid.kp": "1:4:7"},
    "metrics": ["tank.level:max"],
}


class CampaignCreate(BaseModel):
    """A campaign: the stored scenario, run once per grid point and seed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_CAMPAIGN]})

    scenario_id: int = Field(ge=1, description="the stored scenario to run (in sim mode)")
    seeds: int | list[int] | None = Field(
        None, description="N (seeds 0..N-1), or the list of seeds; default: the scenario's own seed"
    )
    sweep: dict[str, list[Scalar] | str] = Field(
        default_factory=dict,
        description="grid axes, `component.parameter` -> a list of values or `start:stop:count` (both ends included); "
        "the grid is their product, the first axis slowest",
    )
    parameters: dict[str, Scalar] = Field(
        default_factory=dict, description="`component.parameter` -> one value used at every grid point"
    )
    metrics: list[str] = Field(
        default_factory=list, description="outputs summarised over the runs: `component.port:REDUCER`, REDUCER one "
        "of min, max, mean, final (e.g. `tank.level:max`)"
    )
    worst: int = Field(10, ge=0, le=1000, description="how many failing cases the summary lists, worst first")


class DistributionRead(BaseModel):
    """A metric over the runs that finished: count, extremes with their (point, seed), mean and percentiles."""

    n: int
    min: float | None
    mean: float | None
    max: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    min_case: list[int] | None = Field(description="[point, seed] of the lowest value")
    max_case: list[int] | None = Field(description="[point, seed] of the highest value")


class CampaignPointRead(BaseModel):
    """One grid point: its parameter values, pass rate, metric distributions and the assertions that failed."""

    index: int
    parameters: dict[str, Any]
    runs: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    metrics: dict[str, DistributionRead]
    failed_assertions: dict[str, int] = Field(description="assertion name -> runs in which it failed")


class CampaignCaseRead(BaseModel):
    """One run of the campaign, with the request body that runs exactly it again."""

    point: int
    seed: int
    status: Literal["passed", "failed", "error"]
    failures: list[dict[str, Any]] = Field(description="every failed assertion: name, message, time")
    error: str | None
    metrics: dict[str, float | None]
    ticks: int
    wall_time: float
    reproduce: dict[str, Any] = Field(description="`POST /api/v1/campaigns` with this body runs this case alone")


class CampaignSummaryRead(BaseModel):
    """What the campaign found: per point and overall, and the worst cases."""

    points: list[CampaignPointRead]
    overall: dict[str, DistributionRead] = Field(description="each metric over every run")
    worst: list[CampaignCaseRead]
    stopped: bool = Field(description="stopped before every run was done (the summary covers those that were)")


class CampaignRead(BaseModel):
    """A campaign: its progress while it runs, then its verdict and summary."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int | None
    scenario_id: int | None = Field(description="null once the scenario is deleted")
    scenario_name: str
    machine_model_id: int | None = Field(description="null once the model is deleted")
    model_name: str
    model_hash: str = Field(description="sha256 of the canonical model document the runs ran")
    engine_version: str
    status: CampaignStatus
    verdict: Literal["passed", "failed"] | None = Field(description="passed when every run passed; null until done")
    request: dict[str, Any] = Field(description="seeds, sweep, parameters and metrics as the campaign runs them")
    executor: str = Field(description="where the runs ran: local processes, or a Dask scheduler")
    runs_total: int
    runs_done: int
    runs_passed: int
    pass_rate: float | None = Field(description="runs_passed / runs_done; null before the first run is done")
    wall_time: float = Field(description="seconds the campaign took")
    error: str | None
    summary: CampaignSummaryRead | None = Field(
        None, description="once it has ended (null in lists): pass rate per point, distributions, worst cases"
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
