"""``python run.py test``: exit codes, located errors, reports, --jobs and --replay.

One test runs the real command in a subprocess; the rest call the same ``run.py`` entry point in-process.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import yaml

import run as run_py

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SCENARIOS = ROOT / "examples" / "scenarios"

MODEL = {
    "name": "line", "dt": 0.05,
    "components": [
        {"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}},
        {"name": "cyl", "type": "Cylinder", "parameters": {"extend_time": 0.5}},
        {"name": "motor", "type": "Motor"},
    ],
    "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
    "bindings": [{"port": "cyl.extend", "endpoint": "plc", "node_id": "ns=2;s=Extend", "direction": "read"},
                 {"port": "motor.enable", "endpoint": "plc", "node_id": "ns=2;s=Run", "direction": "read"}],
}


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def test_cli(*args: str | Path) -> Outcome:
    """``run.py test ARGS`` in this process (the dispatcher and argument parsing included)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_py.main(["test", *map(str, args)])
    return Outcome(code, out.getvalue(), err.getvalue())


test_cli.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def project(tmp_path: Path) -> Path:
    """A model file and three scenarios (two passing, one failing) in a directory."""
    write(tmp_path / "line.model.yaml", MODEL)
    d = tmp_path / "scenarios"
    d.mkdir()
    base = {"model": "../line.model.yaml", "run": {"duration": 5, "seed": 1}}
    write(d / "a_ramp.yaml", {"name": "ramp", **base, "assertions": [
        {"name": "rises", "eventually": "ramp.out >= 2", "within": [1, 3]}]})
    write(d / "b_cylinder.yaml", {"name": "cylinder", **base,
                                  "stimuli": [{"at": 1, "set": "cyl.extend", "value": True},
                                              {"at": 0.5, "set": "motor.enable", "value": True}],
                                  "faults": [{"type": "noise", "port": "motor.current", "std": 0.2, "at": 2}],
                                  "assertions": [{"name": "strokes", "after": "rising(cyl.extend)",
                                                  "expect": "cyl.extended", "within": 0.5},
                                                 {"name": "current", "always": "motor.current <= 3.5",
                                                  "while": "motor.running"}]})
    write(d / "c_failing.yaml", {"name": "too fast", **base, "assertions": [
        {"name": "ramp fast", "at": 2, "expect": "ramp.out", "value": 4, "tolerance": 0.1}]})
    return d


def test_all_passing_exits_0_as_a_real_command() -> None:
    cmd = [sys.executable, str(ROOT / "run.py"), "test", str(EXAMPLE_SCENARIOS)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


def test_the_failing_example_fails_on_purpose() -> None:
    result = test_cli(EXAMPLE_SCENARIOS / "failing")
    assert result.returncode == 1
    assert "FAIL slide out within 0.8 s" in result.stdout


def test_a_failed_assertion_exits_1_and_says_why(tmp_path: Path) -> None:
    result = test_cli(project(tmp_path))
    assert result.returncode == 1
    assert "FAIL ramp fast: ramp.out = 2 at t=2 s; expected 4 ± 0.1 (off by 2)" in result.stdout


def test_an_invalid_scenario_exits_2_with_the_location(tmp_path: Path) -> None:
    d = project(tmp_path)
    write(d / "d_bad.yaml", {"name": "bad", "model": "../line.model.yaml", "run": {"duration": 5},
                             "assertions": [{"always": "true"}, {"always": "true"},
                                            {"eventually": "ramp.out > 1", "within": [4, 2]}]})
    result = test_cli(d)
    assert result.returncode == 2
    assert f"{d / 'd_bad.yaml'}: assertions[2].within: the window starts after it ends: [4, 2]" in result.stderr
    assert "PASS" not in result.stdout  # nothing runs when a file is invalid


def test_an_expression_error_exits_2_with_the_column(tmp_path: Path) -> None:
    write(tmp_path / "line.model.yaml", MODEL)
    path = write(tmp_path / "s.yaml", {"name": "s", "model": "line.model.yaml", "run": {"duration": 1},
                                       "assertions": [{"always": "ramp.out >> 1"}]})
    result = test_cli(path)
    assert result.returncode == 2
    assert "assertions[0].always: column 11:" in result.stderr


def test_an_unknown_port_exits_2(tmp_path: Path) -> None:
    write(tmp_path / "line.model.yaml", MODEL)
    path = write(tmp_path / "s.yaml", {"name": "s", "model": "line.model.yaml", "run": {"duration": 1},
                                       "assertions": [{"always": "cyl.extnded"}]})
    result = test_cli(path)
    assert result.returncode == 2 and "assertions[0].always: column 1: Cylinder 'cyl' has no port" in result.stderr


def test_syntax_and_model_problems_are_reported_in_one_pass(tmp_path: Path) -> None:
    write(tmp_path / "line.model.yaml", MODEL)
    path = write(tmp_path / "s.yaml", {
        "name": "s", "model": "line.model.yaml", "run": {"duration": 1},
        "stimuli": [{"at": 0.5, "set": "motor.enabel", "value": True}, {"at": 0.5, "set": "no port", "value": 1}],
        "faults": [{"type": "stuk", "port": "ramp.out", "value": 0}],
        "assertions": [{"always": "ramp.out >> 1"}, {"always": "cyl.extnded"}]})
    result = test_cli(path)
    assert result.returncode == 2
    for expected in ("stimuli[1].set: 'no port' must be 'component.port'",  # syntax
                     "faults[0].type: 'stuk' is not one of",
                     "assertions[0].always: column 11:",
                     "stimuli[0].set: Motor 'motor' has no port 'enabel' (did you mean 'motor.enable'?)",  # model
                     "assertions[1].always: column 1: Cylinder 'cyl' has no port 'extnded'"):
        assert expected in result.stderr, result.stderr


def test_a_missing_model_file_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", {"name": "s", "model": "nope.yaml", "run": {"duration": 1},
                                       "assertions": [{"always": "true"}]})
    result = test_cli(path)
    assert result.returncode == 2 and "cannot read model file" in result.stderr


def test_broken_yaml_exits_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nrun: {duration: 1\nassertions: []\n", encoding="utf-8")
    result = test_cli(path)
    assert result.returncode == 2 and "line" in result.stderr


def test_hil_mode_without_a_plc_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "line.model.yaml", MODEL)
    path = write(tmp_path / "s.yaml", {"name": "hil", "model": "line.model.yaml",
                                       "run": {"duration": 1, "mode": "hil"}, "assertions": [{"always": "true"}]})
    result = test_cli(path)
    assert result.returncode == 1
    assert "ERROR  hil" in result.stdout


def test_junit_and_html_reports_are_written(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = test_cli(d, "--junit", tmp_path / "r" / "junit.xml", "--html", tmp_path / "r" / "report.html")
    assert result.returncode == 1
    root = ET.parse(tmp_path / "r" / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("4", "1")
    assert [s.get("name") for s in root.findall("testsuite")] == ["ramp", "cylinder", "too fast"]
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert page.count("class='fig'") == 3 + 4  # an overview per scenario and a figure per assertion


def test_out_writes_result_telemetry_and_trace(tmp_path: Path) -> None:
    d = project(tmp_path)
    test_cli(d, "--out", tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "b_cylinder.json" in names and "b_cylinder.csv" in names and "b_cylinder.trace.csv" in names
    header = (tmp_path / "out" / "b_cylinder.csv").read_text().splitlines()[0].split(",")
    assert "fault:motor.current" in header
    result = json.loads((tmp_path / "out" / "b_cylinder.json").read_text())
    assert result["status"] == "passed" and result["fault_periods"][0]["start"] == 2.0


def test_jobs_2_gives_the_same_results_as_serial(tmp_path: Path) -> None:
    d = project(tmp_path)
    serial = test_cli(d, "--out", tmp_path / "serial")
    parallel = test_cli(d, "--jobs", "2", "--out", tmp_path / "parallel")
    assert serial.returncode == parallel.returncode == 1
    for name in ("a_ramp", "b_cylinder", "c_failing"):
        one = json.loads((tmp_path / "serial" / f"{name}.json").read_text())
        two = json.loads((tmp_path / "parallel" / f"{name}.json").read_text())
        one.pop("wall_time"), two.pop("wall_time")
        assert one == two
        csv_name = f"{name}.csv"
        assert (tmp_path / "serial" / csv_name).read_bytes() == (tmp_path / "parallel" / csv_name).read_bytes()
    strip = [line.split("(")[0] for line in serial.stdout.splitlines()]
    assert strip == [line.split("(")[0] for line in parallel.stdout.splitlines()]


def test_replay_feeds_a_recorded_trace_back(tmp_path: Path) -> None:
    d = project(tmp_path)
    test_cli(d / "b_cylinder.yaml", "--out", tmp_path / "rec")
    replay = write(d.parent / "replay.yaml", {
        "name": "cylinder", "model": "line.model.yaml", "run": {"duration": 5, "seed": 1},
        "faults": [{"type": "noise", "port": "motor.current", "std": 0.2, "at": 2}],
        "assertions": [{"name": "strokes", "after": "rising(cyl.extend)", "expect": "cyl.extended", "within": 0.5},
                       {"name": "current", "always": "motor.current <= 3.5", "while": "motor.running"}]})
    result = test_cli(replay, "--replay", tmp_path / "rec" / "b_cylinder.trace.csv", "--out", tmp_path / "rep")
    assert result.returncode == 0, result.stdout + result.stderr
    # Fed through a PortIO, the replay also records each read binding's quality (all good: the trace has no gaps).
    header, *rows = list(csv.reader((tmp_path / "rep" / "replay.csv").open(newline="")))
    keep = [i for i, name in enumerate(header) if not name.endswith(":quality")]
    assert {row[i] for row in rows for i in range(len(header)) if i not in keep} == {"0"}
    stripped = "".join(",".join(row[i] for i in keep) + "\n" for row in [header, *rows])
    assert stripped == (tmp_path / "rec" / "b_cylinder.csv").read_text()


def test_a_trace_that_does_not_fit_exits_2(tmp_path: Path) -> None:
    d = project(tmp_path)
    trace = tmp_path / "t.csv"
    trace.write_text("time,cyl.extend\n0.0,true\n", encoding="utf-8")
    result = test_cli(d / "a_ramp.yaml", "--replay", trace)
    assert result.returncode == 2 and "no column for read binding motor.enable" in result.stderr
