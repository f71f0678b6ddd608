"""Running a campaign: every (grid point, seed) through ``run_scenario`` on an executor, results in a fixed order.

The executor is the seam: anything with ``concurrent.futures.Executor``'s ``submit`` will do. By default a
``ProcessPoolExecutor`` (the engine is pure Python, so threads would share one core); a Dask cluster through
``dask_executor`` (``_dask.py``). Cases travel in chunks (a few per worker) so the cost of shipping the scenario and
the model is paid per chunk, not per run, and results are put back in (point, seed) order whatever order the chunks
finish in: the same campaign gives the same result on any executor, with any number of workers.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any, Callable, Sequence

from .._exceptions import SimulationError
from ..document import ModelDocument
from ..scenarios import Scenario, run_scenario
from ..simulator import ENGINE_VERSION
from ._spec import Campaign, CampaignError, Metric, apply_point, check_campaign

__all__ = ["CampaignResult", "CaseResult", "Distribution", "PointSummary", "run_campaign"]

PERCENTILES = (5, 50, 95)
MAX_CHUNK = 32  # runs per task at most: small enough to spread over the workers and to report progress


@dataclass
class CaseResult:
    """One run of the campaign: its grid point and seed, the verdict, the failed assertions and the metrics."""

    point: int
    seed: int
    status: str  # passed | failed | error
    failures: list[dict[str, Any]] = field(default_factory=list)  # {"name", "message", "time"} per failed assertion
    error: str | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    ticks: int = 0
    wall_time: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        return cls(**data)


@dataclass
class Distribution:
    """A metric over the runs that finished: count, extremes (with the case of each), mean and percentiles."""

    n: int
    min: float | None = None
    mean: float | None = None
    max: float | None = None
    p5: float | None = None
    p50: float | None = None
    p95: float | None = None
    min_case: tuple[int, int] | None = None  # (point, seed)
    max_case: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["min_case"] = list(self.min_case) if self.min_case else None
        d["max_case"] = list(self.max_case) if self.max_case else None
        return d


@dataclass
class PointSummary:
    """A grid point's runs: how many passed, the pass rate, each metric's distribution and which assertions failed."""

    index: int
    parameters: dict[str, Any]
    runs: int
    passed: int
    failed: int
    errors: int
    metrics: dict[str, Distribution]
    failed_assertions: dict[str, int]  # assertion name -> runs in which it failed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "parameters": self.parameters, "runs": self.runs, "passed": self.passed,
                "failed": self.failed, "errors": self.errors, "pass_rate": self.pass_rate,
                "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
                "failed_assertions": self.failed_assertions}


@dataclass
class CampaignResult:
    """Every case of a campaign in (point, seed) order, with what the summaries and reports need."""

    name: str  # the scenario's
    model: str
    model_digest: str
    seeds: list[int]
    sweeps: dict[str, list[Any]]  # target -> values, in grid order
    fixed: dict[str, Any]
    metrics: list[str]
    points: list[dict[str, Any]]
    cases: list[CaseResult]
    path: str | None = None  # the scenario file, when it came from one
    executor: str = ""
    wall_time: float = 0.0
    stopped: bool = False  # cancelled before every case ran (``cases`` holds those that did)

    @property
    def runs(self) -> int:
        return len(self.points) * len(self.seeds)

    @property
    def passed(self) -> bool:
        return not self.stopped and len(self.cases) == self.runs and all(c.passed for c in self.cases)

    def counts(self) -> dict[str, int]:
        return {"runs": self.runs, "done": len(self.cases), "passed": sum(c.status == "passed" for c in self.cases),
                "failed": sum(c.status == "failed" for c in self.cases),
                "errors": sum(c.status == "error" for c in self.cases)}

    def point_summaries(self) -> list[PointSummary]:
        by_point: list[list[CaseResult]] = [[] for _ in self.points]
        for c in self.cases:
            by_point[c.point].append(c)
        out = []
        for i, cases in enumerate(by_point):
            tally: dict[str, int] = {}
            for c in cases:
                for f in c.failures:
                    tally[f["name"]] = tally.get(f["name"], 0) + 1
            out.append(PointSummary(
                index=i, parameters=self.points[i], runs=len(cases), passed=sum(c.passed for c in cases),
                failed=sum(c.status == "failed" for c in cases), errors=sum(c.status == "error" for c in cases),
                metrics={m: distribution(cases, m) for m in self.metrics}, failed_assertions=tally))
        return out

    def overall(self) -> dict[str, Distribution]:
        """Each metric over every case of the campaign."""
        return {m: distribution(self.cases, m) for m in self.metrics}

    def worst(self, limit: int = 10) -> list[CaseResult]:
        """The failing cases, worst first: run errors, then the most failed assertions, then (point, seed)."""
        failing = [c for c in self.cases if not c.passed]
        failing.sort(key=lambda c: (c.status != "error", -len(c.failures), c.point, c.seed))
        return failing[:limit]

    def case_parameters(self, case: CaseResult) -> dict[str, Any]:
        """Every parameter a case ran with beyond the model's own: the fixed ones, then its grid point's."""
        return {**self.fixed, **self.points[case.point]}

    def to_dict(self, cases: bool = True, worst: int = 10) -> dict[str, Any]:
        """JSON-able: the set-up, counts, per-point summaries, overall distributions, worst cases (and every case)."""
        d: dict[str, Any] = {
            "name": self.name, "model": self.model, "model_digest": self.model_digest, "path": self.path,
            "seeds": self.seeds, "sweeps": self.sweeps, "fixed": self.fixed, "metrics": self.metrics,
            "executor": self.executor, "wall_time": self.wall_time, "stopped": self.stopped,
            "passed": self.passed, **self.counts(),
            "pass_rate": self.counts()["passed"] / len(self.cases) if self.cases else 0.0,
            "points": [p.to_dict() for p in self.point_summaries()],
            "overall": {k: v.to_dict() for k, v in self.overall().items()},
            "worst": [c.to_dict() for c in self.worst(worst)],
        }
        if cases:
            d["cases"] = [c.to_dict() for c in self.cases]
        return d

    @classmethod
    def from_summary(cls, summary: dict[str, Any], cases: Sequence[dict[str, Any]]) -> CampaignResult:
        """The result rebuilt from ``to_dict(cases=False)`` and the cases' dicts (as a service stores them)."""
        return cls(name=summary["name"], model=summary["model"], model_digest=summary["model_digest"],
                   seeds=list(summary["seeds"]), sweeps=dict(summary["sweeps"]), fixed=dict(summary["fixed"]),
                   metrics=list(summary["metrics"]), points=[p["parameters"] for p in summary["points"]],
                   cases=[CaseResult.from_dict(c) for c in cases], path=summary.get("path"),
                   executor=summary.get("executor", ""), wall_time=summary.get("wall_time", 0.0),
                   stopped=summary.get("stopped", False))

    def verdicts(self) -> dict[str, Any]:
        """The deterministic part (no wall times, no executor): equal for the same campaign on any executor."""
        d = self.to_dict()
        for key in ("wall_time", "executor", "path"):
            d.pop(key)
        for group in (d["cases"], d["worst"]):
            for c in group:
                c.pop("wall_time")
        return d


def distribution(cases: Sequence[CaseResult], metric: str) -> Distribution:
    """``metric`` over the cases that have a finite value, in (point, seed) order (so ties break the same way)."""
    values = [(v, c.point, c.seed) for c in cases
              if (v := c.metrics.get(metric)) is not None and math.isfinite(v)]
    if not values:
        return Distribution(n=0)
    ordered = sorted(v for v, _, _ in values)
    lo = min(values, key=lambda x: x[0])
    hi = max(values, key=lambda x: x[0])
    pct = {f"p{q}": _percentile(ordered, q) for q in PERCENTILES}
    return Distribution(n=len(values), min=lo[0], max=hi[0], mean=math.fsum(ordered) / len(ordered),
                        min_case=(lo[1], lo[2]), max_case=(hi[1], hi[2]), **pct)


def _percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default)."""
    pos = (len(ordered) - 1) * q / 100
    k = math.floor(pos)
    if k + 1 >= len(ordered):
        return ordered[-1]
    return ordered[k] + (ordered[k + 1] - ordered[k]) * (pos - k)


# ------------------------------------------------------------------------------------------- one run


def _reduce(column: list[Any], reducer: str) -> float | None:
    if not column:
        return None
    values = [float(v) for v in column]
    if reducer == "min":
        return min(values)
    if reducer == "max":
        return max(values)
    if reducer == "mean":
        return math.fsum(values) / len(values)
    return values[-1]


def run_case(scenario: Scenario, doc: ModelDocument, point: int, seed: int,
             metrics: Sequence[Metric]) -> CaseResult:
    """One run of the scenario with this seed on a model that already carries the point's parameters."""
    started = time.perf_counter()
    try:
        result = run_scenario(dataclasses.replace(scenario, seed=seed, realtime=False), doc,
                              also_record=[m.port for m in metrics])
    except SimulationError as exc:
        return CaseResult(point, seed, "error", error=exc.message, wall_time=time.perf_counter() - started)
    status = "error" if result.status == "error" else result.status
    columns = result.series.get("ports", {})
    return CaseResult(
        point=point, seed=seed, status=status, error=result.error,
        failures=[{"name": a.name, "message": a.message, "time": a.time} for a in result.assertions if not a.passed],
        metrics={} if status == "error" else {m.name: _reduce(columns.get(m.port, []), m.reducer) for m in metrics},
        ticks=result.ticks, wall_time=time.perf_counter() - started,
    )


def run_chunk(scenario: Scenario, doc: ModelDocument, cases: Sequence[tuple[int, dict[str, Any], int]],
              metrics: Sequence[Metric]) -> tuple[str, list[CaseResult]]:
    """Run ``(point index, parameters, seed)`` cases (in a worker); returns the worker's engine version too."""
    models: dict[int, ModelDocument] = {}
    out = []
    for point, parameters, seed in cases:
        if point not in models:
            models[point] = apply_point(doc, parameters)
        out.append(run_case(scenario, models[point], point, seed, metrics))
    return ENGINE_VERSION, out


# ------------------------------------------------------------------------------------------- the campaign


def chunk_size(runs: int, workers: int) -> int:
    """Runs per task: about four tasks per worker (some finish early), at most ``MAX_CHUNK``."""
    return max(1, min(MAX_CHUNK, math.ceil(runs / (max(1, workers) * 4))))


def run_campaign(
    campaign: Campaign,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    mp_context: BaseContext | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    executor_name: str | None = None,
) -> CampaignResult:
    """Run every (point, seed) of the campaign; CampaignError if it does not fit its model.

    Without ``executor``: ``workers`` local processes (default: one per CPU; 1 runs in this thread). With one
    (a Dask client's ``get_executor()``, say), ``workers`` says how many run at once, to size the chunks.
    ``progress(done, total, passed)`` is called in this thread as chunks finish; setting ``cancel`` stops submitting and
    cancels what has not started: the result then has ``stopped`` and the cases that ran.
    """
    problems = check_campaign(campaign)
    if problems:
        first = problems[0]
        raise CampaignError(f"{first['loc']}: {first['message']}"
                            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""), problems)
    started = time.perf_counter()
    points = campaign.points()
    flat = [(p, {**campaign.fixed, **params}, seed) for p, params in enumerate(points) for seed in campaign.seeds]
    n_workers = workers or (os.cpu_count() or 1)
    size = chunk_size(len(flat), n_workers)
    chunks = [flat[i:i + size] for i in range(0, len(flat), size)]
    results: list[list[CaseResult] | None] = [None] * len(chunks)
    metrics = list(campaign.metrics)
    stopped = False
    if executor is None and n_workers == 1:
        name = executor_name or "this process"
        done = passed = 0
        for i, chunk in enumerate(chunks):
            if cancel is not None and cancel.is_set():
                stopped = True
                break
            _, cases = run_chunk(campaign.scenario, campaign.model, chunk, metrics)
            results[i] = cases
            done += len(cases)
            passed += sum(c.passed for c in cases)
            if progress is not None:
                progress(done, len(flat), passed)
    else:
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=min(n_workers, len(chunks)), mp_context=mp_context)
        name = executor_name or (f"{n_workers} local process(es)" if own else type(pool).__name__)
        try:
            stopped = _gather(pool, campaign, chunks, results, metrics, progress, cancel, len(flat))
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
    cases = [c for chunk in results if chunk is not None for c in chunk]
    return CampaignResult(
        name=campaign.scenario.name, model=campaign.model.name, model_digest=campaign.model.digest(),
        seeds=list(campaign.seeds), sweeps={s.target: list(s.values) for s in campaign.sweeps},
        fixed=dict(campaign.fixed), metrics=[m.name for m in campaign.metrics], points=points, cases=cases,
        path=campaign.scenario.path, executor=name, wall_time=time.perf_counter() - started, stopped=stopped,
    )


def _gather(pool: Executor, campaign: Campaign, chunks: list[list[tuple[int, dict[str, Any], int]]],
            results: list[list[CaseResult] | None], metrics: list[Metric],
            progress: Callable[[int, int, int], None] | None, cancel: threading.Event | None, total: int) -> bool:
    """Submit every chunk, collect them into their slots; True if cancelled before all ran."""
    futures: dict[Future[tuple[str, list[CaseResult]]], int] = {
        pool.submit(run_chunk, campaign.scenario, campaign.model, chunk, metrics): i for i, chunk in enumerate(chunks)
    }
    pending = set(futures)
    done_runs = passed = 0
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.5 if cancel is not None else None,
                                     return_when=FIRST_COMPLETED)
            for future in finished:
                version, cases = future.result()
                if version != ENGINE_VERSION:
                    raise CampaignError(f"a worker runs engine {version}, this process {ENGINE_VERSION}: results "
                                        "would not be comparable; run the same platform version everywhere")
                results[futures[future]] = cases
                done_runs += len(cases)
                passed += sum(c.passed for c in cases)
            if finished and progress is not None:
                progress(done_runs, total, passed)
            if cancel is not None and cancel.is_set():
                for future in pending:
                    future.cancel()
                return True
        return False
    except BaseException:
        for future in pending:
            future.cancel()
        raise
