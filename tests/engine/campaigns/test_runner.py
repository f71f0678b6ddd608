"""Running a campaign: every (point, seed) once, in (point, seed) order, the same result on any executor."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest

from app.engine.campaigns import CampaignError, CampaignResult, run_campaign
from app.engine.campaigns._runner import _percentile, chunk_size
from tests.engine.campaigns.support import campaign

ROOT = Path(__file__).resolve().parents[3]


class Reversed(Executor):
    """Holds every task until the last one is submitted, then finishes them last first, as a busy cluster might."""

    def __init__(self, tasks: int) -> None:
        self.tasks = tasks
        self.held: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.held.append((future, fn, args))
        if len(self.held) == self.tasks:
            for held, call, call_args in reversed(self.held):
                held.set_result(call(*call_args))
        return future


def test_every_point_and_seed_runs_once_in_point_then_seed_order() -> None:
    result = run_campaign(campaign(), workers=1)
    assert [(c.point, c.seed) for c in result.cases] == [(p, s) for p in range(6) for s in range(4)]
    assert result.counts() == {"runs": 24, "done": 24, "passed": 10, "failed": 14, "errors": 0}


def test_local_processes_give_the_same_result_as_one_process() -> None:
    serial = run_campaign(campaign(), workers=1)
    parallel = run_campaign(campaign(), workers=2)
    assert "2 local process(es)" == parallel.executor
    assert parallel.verdicts() == serial.verdicts()


def test_results_are_ordered_by_point_and_seed_not_by_completion() -> None:
    c = campaign()
    executor = Reversed(tasks=math.ceil(c.runs / chunk_size(c.runs, 2)))
    result = run_campaign(c, executor=executor, workers=2)
    assert executor.tasks > 1
    assert result.verdicts() == run_campaign(campaign(), workers=1).verdicts()


def test_a_thread_pool_is_an_executor_too() -> None:
    with ThreadPoolExecutor(2) as pool:
        result = run_campaign(campaign(), executor=pool, workers=2, executor_name="threads")
    assert result.executor == "threads" and result.verdicts() == run_campaign(campaign(), workers=1).verdicts()


def test_pass_rate_per_point_and_which_assertions_failed() -> None:
    summaries = run_campaign(campaign(), workers=1).point_summaries()
    assert [(s.parameters, s.passed) for s in summaries] == [
        ({"g.k": 1.5, "ramp.slope": 0.9}, 0), ({"g.k": 1.5, "ramp.slope": 1.0}, 4),
        ({"g.k": 2, "ramp.slope": 0.9}, 4), ({"g.k": 2, "ramp.slope": 1.0}, 2),
        ({"g.k": 2.5, "ramp.slope": 0.9}, 0), ({"g.k": 2.5, "ramp.slope": 1.0}, 0)]
    assert summaries[3].pass_rate == 0.5
    assert summaries[0].failed_assertions == {"reaches": 4} and summaries[3].failed_assertions == {"bounded": 2}


def test_a_metric_distribution_names_the_case_of_each_extreme() -> None:
    result = run_campaign(campaign(), workers=1)
    d = result.point_summaries()[3].metrics["g.out:max"]
    values = [c.metrics["g.out:max"] for c in result.cases if c.point == 3]
    assert d.n == 4 and d.min == min(values) and d.max == max(values) and d.mean == pytest.approx(sum(values) / 4)
    assert d.max_case == (3, values.index(max(values)))
    assert d.min <= d.p5 <= d.p50 <= d.p95 <= d.max


def test_percentiles_interpolate_between_ranks() -> None:
    assert _percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert _percentile([1.0, 2.0, 3.0, 4.0], 5) == pytest.approx(1.15)
    assert _percentile([7.0], 95) == 7.0


def test_worst_cases_are_the_failing_ones_with_most_failed_assertions_first() -> None:
    result = run_campaign(campaign(), workers=1)
    worst = result.worst(20)
    assert len(worst) == 14 and all(not c.passed for c in worst)
    assert [(c.point, c.seed) for c in worst] == sorted((c.point, c.seed) for c in worst)  # one failure each
    assert result.case_parameters(worst[0]) == {"g.k": 1.5, "ramp.slope": 0.9}


def test_the_result_is_json_able_and_comes_back_from_its_summary_and_cases() -> None:
    result = run_campaign(campaign(), workers=1)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["runs"] == 24 and len(data["cases"]) == 24 and data["points"][3]["pass_rate"] == 0.5
    assert CampaignResult.from_summary(data, data["cases"]).to_dict() == result.to_dict()


def test_progress_counts_runs_done_and_passed() -> None:
    seen: list[tuple[int, int, int]] = []
    run_campaign(campaign(), workers=2, progress=lambda *counts: seen.append(counts))
    assert seen[-1] == (24, 24, 10) and [s[0] for s in seen] == sorted(s[0] for s in seen)


def test_a_campaign_that_does_not_fit_the_model_runs_nothing() -> None:
    with pytest.raises(CampaignError, match="sweep\\[0\\]: Gain 'g' has no parameter 'kk'") as caught:
        run_campaign(campaign(sweeps=("g.kk=1,2",)), workers=1)
    assert caught.value.problems[0]["did_you_mean"] == "g.k"


def test_a_cancelled_campaign_says_it_stopped_and_keeps_what_ran() -> None:
    cancel = threading.Event()

    def progress(done: int, total: int, passed: int) -> None:
        cancel.set()  # after the first chunk

    result = run_campaign(campaign(), workers=1, cancel=cancel, progress=progress)
    assert result.stopped and not result.passed and 0 < len(result.cases) < 24


def test_running_a_local_campaign_never_imports_dask() -> None:
    code = ("import sys\nfrom tests.engine.campaigns.support import campaign\nfrom app.engine.campaigns import "
            "run_campaign\nrun_campaign(campaign(seeds=1), workers=1)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
