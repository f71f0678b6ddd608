"""A small campaign for the tests: a noisy ramp through a gain, 3 gains x 2 slopes x 4 seeds = 24 short runs.

Some points pass, some fail, and one (k=2, slope=1) passes or fails by seed: the noise fault comes and goes at
random times drawn from the seed, so seeds really matter.
"""

from __future__ import annotations

from typing import Any

from app.engine import parse_document
from app.engine.campaigns import Campaign, parse_metric, parse_sweep
from app.engine.scenarios import parse_scenario

MODEL: dict[str, Any] = {
    "schema_version": 1,
    "name": "ramp_gain",
    "dt": 0.01,
    "components": [
        {"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}},
        {"name": "g", "type": "Gain", "parameters": {"k": 2.0}},
    ],
    "connections": [{"from": "ramp.out", "to": "g.in"}],
}


def scenario_document(model: Any = "ramp_gain.yaml") -> dict[str, Any]:
    return {
        "name": "ramp under noise",
        "model": model,
        "run": {"duration": 1.0, "dt": 0.01, "seed": 1},
        "faults": [{"type": "noise", "port": "ramp.out", "std": 0.05, "mtbf": 0.5, "mttr": 0.2}],
        "assertions": [{"name": "bounded", "always": "g.out <= 2.1"},
                       {"name": "reaches", "eventually": "g.out >= 1.5"}],
    }


SWEEPS = ("g.k=1.5,2,2.5", "ramp.slope=0.9:1.0:2")
SEEDS = 4


def campaign(seeds: int = SEEDS, sweeps: tuple[str, ...] = SWEEPS,
             metrics: tuple[str, ...] = ("g.out:max",)) -> Campaign:
    return Campaign(parse_scenario(scenario_document()), parse_document(MODEL), seeds=tuple(range(seeds)),
                    sweeps=tuple(parse_sweep(s) for s in sweeps), metrics=tuple(parse_metric(m) for m in metrics))
