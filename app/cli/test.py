"""``python run.py test SCENARIO_OR_DIR...``: run test scenarios headless, write JUnit/HTML reports.

Exit codes: 0 every assertion passed, 1 an assertion failed or a run stopped with an error, 2 a file
is invalid (scenario, model or trace; the message gives the location of the problem) or an option is,
4 ``--fail-on-degraded``: every assertion passed but a run was degraded (a PLC lost, stale or bad samples, dropped
writes).
With ``--seeds``/``--sweep``/``--metric``/``--scheduler`` one scenario runs as a campaign (``_campaign.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from app.cli import _campaign
from app.engine import ModelDocument, parse_document, read_document_file
from app.engine._exceptions import SimulationError
from app.engine.campaigns import Campaign, apply_point, check_campaign
from app.engine.scenarios import (
    Scenario,
    ScenarioError,
    ScenarioResult,
    Trace,
    check_scenario,
    html_report,
    junit_xml,
    load_scenario_file,
    read_trace,
    run_scenario,
    telemetry_csv,
    write_trace,
)

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
# Parsed model files per process: a directory of scenarios usually shares one model.
_MODELS: dict[tuple[str, float], ModelDocument] = {}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="SCENARIO_OR_DIR",
                        help="scenario files, or directories whose *.yaml/*.yml/*.json files are scenarios")
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report with plots")
    parser.add_argument("--out", metavar="DIR",
                        help="write per scenario: result JSON, telemetry CSV (with fault:<target> columns), trace CSV")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="run scenarios in N parallel processes (same results as serial; default 1, for a "
                             "campaign one per CPU)")
    parser.add_argument("--replay", metavar="TRACE",
                        help="feed a recorded trace CSV into the model's read bindings (sim mode)")
    parser.add_argument("--fail-on-degraded", action="store_true",
                        help="exit 4 when every assertion passed but a run was degraded: a PLC lost for a while, "
                             "stale or bad read samples, dropped writes (hil and replayed runs; for CI)")
    parser.add_argument("--seed", metavar="S", help="run with this seed instead of the scenario's")
    parser.add_argument("--set", action="append", default=[], metavar="COMP.PARAM=VALUE",
                        help="run with this parameter value instead of the model's (repeatable)")
    campaign = parser.add_argument_group(
        "campaigns", "run one scenario over a parameter grid and/or many seeds; any of these options makes a campaign")
    campaign.add_argument("--seeds", metavar="N", help="run every grid point with seeds 0..N-1 (Monte Carlo)")
    campaign.add_argument("--sweep", action="append", default=[], metavar="COMP.PARAM=VALUES",
                          help="a grid axis: a list (tank.area=0.4,0.5,0.6) or start:stop:count, both ends "
                               "included (level_pid.kp=1:4:7); repeat for more axes (the grid is their product)")
    campaign.add_argument("--metric", action="append", default=[], metavar="COMP.PORT:REDUCER",
                          help="an output to summarise over the runs: min, max, mean or final of a port "
                               "(tank.level:max); repeatable")
    campaign.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                          help="run on this Dask distributed scheduler instead of local processes")
    campaign.add_argument("--worst", type=int, default=10, metavar="K",
                          help="list this many failing cases with the command that reproduces each (default 10)")


def scenario_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """Scenario files in a stable order (directories are not searched recursively), and missing paths."""
    files: list[str] = []
    missing: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(os.path.join(path, n) for n in os.listdir(path)
                                if n.endswith(SCENARIO_SUFFIXES) and os.path.isfile(os.path.join(path, n))))
        elif os.path.isfile(path):
            files.append(path)
        else:
            missing.append(path)
    return files, missing


def load_model(scenario: Scenario) -> ModelDocument:
    """The model a scenario names: an inline document or a file relative to the scenario."""
    if isinstance(scenario.model, dict):
        try:
            return parse_document(scenario.model)
        except SimulationError as exc:
            raise ScenarioError(exc.message, [{**p, "loc": f"model.{p.get('loc', '')}".rstrip(".")}
                                              for p in exc.problems]) from None
    path = scenario.model_path()
    if path is None:
        raise ScenarioError("model_id names a stored model, which only the API can load; give 'model: FILE' here",
                            [{"loc": "model_id", "message": "only the API can load stored models"}])
    key = (os.path.abspath(path), os.path.getmtime(path) if os.path.exists(path) else 0.0)
    if key in _MODELS:
        return _MODELS[key]
    try:
        doc = _MODELS[key] = read_document_file(path)
        return doc
    except SimulationError as exc:
        problems = exc.problems or [{"loc": "", "message": exc.message}]
        located = [{**p, "loc": f"model {path}: {p.get('loc', '')}".rstrip(": ")} for p in problems]
        raise ScenarioError(f"model {path}: {exc.message}", located) from None


def prepare(path: str) -> tuple[Scenario, ModelDocument]:
    """Load a scenario and its model and check that they fit; ScenarioError with every problem found in one pass:
    the scenario's own, and those of its usable parts against the model."""
    try:
        scenario = load_scenario_file(path)
        problems: list[dict[str, Any]] = []
    except ScenarioError as exc:
        if exc.scenario is None or exc.scenario.model is None:
            raise
        scenario, problems = exc.scenario, list(exc.problems)
    try:
        doc = load_model(scenario)
    except ScenarioError as exc:
        raise ScenarioError((problems or exc.problems)[0]["message"], problems + exc.problems) from None
    problems += check_scenario(scenario, doc)
    if problems:
        raise ScenarioError(problems[0]["message"], problems)
    return scenario, doc


def _hil_io(doc: ModelDocument) -> Any:
    try:
        from app.engine.hil import OpcUaIO
    except ImportError as exc:
        raise SimulationError(f"mode hil needs the HIL adapter (app.engine.hil), which is not available: {exc}") \
            from None
    from app.core.config import get_settings

    # The client certificate and trust list in DATA_DIR/pki, as the server and run.py simulate use them.
    settings = get_settings()
    return OpcUaIO(doc.endpoints, data_dir=settings.data_dir,
                   trust_new_certificates=settings.opcua_trust_on_first_use)


def run_file(path: str, replay_path: str | None = None, seed: int | None = None,
             parameters: dict[str, Any] | None = None) -> ScenarioResult:
    """Run one scenario file (in this process or a worker); errors while running become an error result.

    ``seed`` and ``parameters`` (``{"tank.area": 0.5}``) replace the scenario's seed and the model's values."""
    scenario, doc = prepare(path)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    if parameters:
        doc = apply_point(doc, parameters)
    replay: Trace | None = read_trace(replay_path) if replay_path else None
    try:
        io = _hil_io(doc) if scenario.mode == "hil" and replay is None else None
        return run_scenario(scenario, doc, io=io, replay=replay)
    except ScenarioError:
        raise
    except SimulationError as exc:
        return ScenarioResult(name=scenario.name, passed=False, status="error", seed=scenario.seed,
                              dt=scenario.dt or doc.dt, duration=scenario.duration, ticks=0, model=doc.name,
                              model_digest=doc.digest(), error=exc.message, path=path)


def _print_problems(path: str, exc: SimulationError) -> None:
    problems = exc.problems or [{"loc": "", "message": exc.message}]
    for p in problems:
        loc = p.get("loc") or ""
        print(f"{path}: {loc + ': ' if loc else ''}{p.get('message', exc.message)}", file=sys.stderr)


def _slug(name: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "scenario"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def write_outputs(out_dir: str, files: list[str], results: list[ScenarioResult]) -> None:
    os.makedirs(out_dir, exist_ok=True)
    used: set[str] = set()
    for path, r in zip(files, results):
        slug = _slug(os.path.splitext(os.path.basename(path))[0], used)
        with open(os.path.join(out_dir, f"{slug}.json"), "w", encoding="utf-8") as fh:
            json.dump(r.to_dict(series=False), fh, indent=2, default=str)
            fh.write("\n")
        if r.series.get("time"):
            with open(os.path.join(out_dir, f"{slug}.csv"), "w", encoding="utf-8", newline="") as fh:
                fh.write(telemetry_csv(r))
        if r.trace is not None:
            write_trace(os.path.join(out_dir, f"{slug}.trace.csv"), r.trace)


def run(args: argparse.Namespace) -> int:
    files, missing = scenario_files(args.paths)
    for path in missing:
        print(f"{path}: no such file or directory", file=sys.stderr)
    if missing:
        return 2
    if not files:
        print("no scenario files found (*.yaml, *.yml, *.json)", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("--jobs must be >= 1", file=sys.stderr)
        return 2
    if args.worst < 0:
        print("--worst must be >= 0", file=sys.stderr)
        return 2
    if _campaign.is_campaign(args) and len(files) != 1:
        print(f"a campaign runs one scenario; {len(files)} scenario files were given", file=sys.stderr)
        return 2
    try:
        seed = None if args.seed is None else _campaign.parse_seed(args.seed)
        parameters = _campaign.parse_fixed(args.set)
    except _campaign.OptionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    invalid = False
    prepared = []
    for path in files:  # check everything first: an invalid file fails fast, before any run
        try:
            prepared.append(prepare(path))
        except SimulationError as exc:
            invalid = True
            _print_problems(path, exc)
            continue
        if parameters and not _campaign.is_campaign(args):
            scenario, doc = prepared[-1]
            problems = check_campaign(Campaign(scenario, doc, seeds=(scenario.seed,), fixed=parameters))
            if problems:
                invalid = True
                for p in problems:
                    print(f"{path}: {_campaign.option_of(p['loc'], args)}: {p['message']}", file=sys.stderr)
    if args.replay:
        try:
            read_trace(args.replay)
        except SimulationError as exc:
            invalid = True
            _print_problems(args.replay, exc)
    if invalid:
        return 2
    if _campaign.is_campaign(args):
        return _campaign.run(args, files[0], *prepared[0], write=_write)
    jobs = args.jobs or 1
    try:
        if jobs > 1 and len(files) > 1:
            with ProcessPoolExecutor(max_workers=min(jobs, len(files))) as pool:
                n = len(files)
                results = list(pool.map(run_file, files, [args.replay] * n, [seed] * n, [parameters] * n))
        else:
            results = [run_file(path, args.replay, seed, parameters) for path in files]
    except ScenarioError as exc:  # e.g. a replayed trace that does not fit the model
        _print_problems(args.replay or "scenario", exc)
        return 2
    for path, r in zip(files, results):
        mark = {"passed": "PASS", "failed": "FAIL"}.get(r.status, "ERROR")
        print(f"{mark}  {r.name}  ({path}; {len(r.assertions)} assertions, {r.wall_time:.2f} s)")
        if r.error:
            print(f"      error: {r.error}")
        if r.degraded:
            q = r.quality or {}
            print(f"      degraded: {q.get('stale', 0)} stale and {q.get('bad', 0)} bad of {q.get('samples', 0)} "
                  f"read samples ({q.get('stale_ratio', 0.0):.1%} stale)")
        for a in r.assertions:
            if not a.passed:
                print(f"      FAIL {a.name}: {a.message}")
    n_assert = sum(len(r.assertions) for r in results)
    n_failed = sum(r.failures for r in results)
    n_error = sum(r.status == "error" for r in results)
    print(f"{len(results)} scenario(s), {n_assert} assertion(s): {n_assert - n_failed} passed, {n_failed} failed"
          + (f", {n_error} run error(s)" if n_error else ""))
    if args.junit:
        _write(args.junit, junit_xml(results))
    if args.html:
        _write(args.html, html_report(results))
    if args.out:
        write_outputs(args.out, files, results)
    if not all(r.passed for r in results):
        return 1
    if args.fail_on_degraded and any(r.degraded for r in results):
        names = ", ".join(r.name for r in results if r.degraded)
        print(f"error: --fail-on-degraded: degraded run(s): {names}", file=sys.stderr)
        return 4
    return 0


def _write(path: str, text: str) -> None:
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
