"""run_scenario stops at a tick boundary when its cancel event is set, and judges nothing."""

from __future__ import annotations

import threading

from app.engine import parse_document
from app.engine.scenarios import parse_scenario, recorded_ports, run_scenario

MODEL = parse_document({
    "name": "ramp_gain", "dt": 0.01,
    "components": [{"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}},
                   {"name": "g", "type": "Gain", "parameters": {"k": 2.0}}],
    "connections": [{"from": "ramp.out", "to": "g.in"}],
})
SCENARIO = parse_scenario({
    "name": "long", "model_id": 1, "run": {"duration": 100.0},
    "assertions": [{"name": "positive", "always": "g.out >= 0"}],
})


def test_a_cancelled_run_stops_early_with_status_stopped() -> None:
    cancel = threading.Event()

    def hook(sim: object) -> None:
        if getattr(sim, "tick", 0) >= 500:
            cancel.set()

    result = run_scenario(SCENARIO, MODEL, tick_hook=hook, cancel=cancel)
    assert result.status == "stopped" and not result.passed and result.assertions == []
    assert 500 <= result.ticks <= 502 and "stopped at t = 5" in (result.error or "")


def test_a_run_cancelled_before_it_starts_ticks_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    result = run_scenario(SCENARIO, MODEL, cancel=cancel)
    assert result.status == "stopped" and result.ticks == 0


def test_an_uncancelled_run_is_judged_as_before() -> None:
    result = run_scenario(SCENARIO, MODEL, cancel=threading.Event())
    assert result.status == "passed" and result.ticks == 10001


def test_recorded_ports_are_what_the_assertions_read() -> None:
    assert recorded_ports(SCENARIO, MODEL) == ["g.out"]
