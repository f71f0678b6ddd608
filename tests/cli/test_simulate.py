"""``python run.py simulate``: run in a real subprocess against the examples and small model files."""

from __future__ import annotations

import csv
import json
import math
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.engine import compile_model, read_document_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
HEATED_TANK = ROOT / "examples" / "heated_tank.yaml"


def simulate(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(ROOT / "run.py"), "simulate", *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as fh:
        header, *rows = list(csv.reader(fh))
    return header, rows


def write_model(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_writes_telemetry_with_time_then_every_port_one_row_per_tick_and_the_end(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "2", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    header, rows = read_csv(tmp_path / "telemetry.csv")
    plan = compile_model(read_document_file(str(HEATED_TANK)))
    assert header == ["time", *plan.port_names()]
    assert len(rows) == round(2 / plan.dt) + 1  # ticks 0..N-1 and the state at t = duration
    assert float(rows[-1][0]) == 2.0
    assert [float(r[0]) for r in rows[:3]] == [0.0, plan.dt, 2 * plan.dt]


def test_bools_are_written_as_1_and_0_and_floats_round_trip(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "30", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    header, rows = read_csv(tmp_path / "telemetry.csv")
    active = header.index("level_sensor.active")
    assert {r[active] for r in rows} == {"0", "1"}
    level = header.index("tank.level")
    assert all(repr(float(r[level])) == r[level] for r in rows)


def test_record_patterns_choose_the_columns(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "1", "--record", "tank.*, heater.temperature", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    header, _ = read_csv(tmp_path / "telemetry.csv")
    assert header == ["time", "tank.inflow", "tank.outflow", "tank.level", "tank.volume", "tank.overflow",
                      "tank.empty", "heater.temperature"]


def test_record_every_keeps_every_kth_tick(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "1", "--dt", "0.01", "--record-every", "7",
                      "--record", "tank.level", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    _, rows = read_csv(tmp_path / "telemetry.csv")
    assert [float(r[0]) for r in rows] == [k * 0.01 for k in range(0, 100, 7)] + [1.0]


def test_the_final_state_is_recorded_and_matches_the_summary(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "120", "--record-every", "20", "--record", "tank.level",
                      "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    _, rows = read_csv(tmp_path / "telemetry.csv")
    assert [r[0] for r in rows[-2:]] == ["119.0", "120.0"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["rows"] == len(rows) == 121
    assert repr(summary["final_values"]["tank.level"]) == rows[-1][1]


def test_an_empty_model_is_invalid_exit_2_without_a_traceback(tmp_path: Path) -> None:
    model = write_model(tmp_path / "empty.yaml", "schema_version: 1\nname: empty\ncomponents: []\n")
    result = simulate(model, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "components: the model has no components" in result.stderr and "Traceback" not in result.stderr


def test_out_with_earlier_results_is_refused_without_force(tmp_path: Path) -> None:
    assert simulate(HEATED_TANK, "--duration", "1", "--quiet", "--out", tmp_path).returncode == 0
    again = simulate(HEATED_TANK, "--duration", "2", "--out", tmp_path)
    assert again.returncode == 2 and "pass --force to replace them" in again.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["duration"] == 1.0  # untouched
    forced = simulate(HEATED_TANK, "--duration", "2", "--quiet", "--force", "--out", tmp_path)
    assert forced.returncode == 0 and json.loads((tmp_path / "summary.json").read_text())["duration"] == 2.0


def test_summary_reports_model_run_and_final_values(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "3", "--dt", "0.1", "--seed", "42", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    doc = read_document_file(str(HEATED_TANK))
    assert summary["model"] == "heated_tank"
    assert summary["model_hash"] == doc.digest()
    assert (summary["seed"], summary["dt"], summary["duration"], summary["ticks"]) == (42, 0.1, 3.0, 30)
    assert summary["status"] == "completed"
    assert summary["rows"] == 31  # 30 ticks and the final state
    assert summary["engine_version"]
    assert summary["wall_time"] > 0 and summary["ticks_per_second"] > 0 and summary["real_time_factor"] > 0
    assert set(summary["final_values"]) == set(compile_model(doc).port_names())
    assert summary["final_values"]["level_setpoint.out"] == 0.6


def test_realtime_run_reports_overruns_and_lateness(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "2", "--time-scale", "100", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["realtime"] is True and summary["time_scale"] == 100.0
    assert {"overruns", "max_lateness", "mean_lateness"} <= set(summary)


def test_same_file_seed_dt_duration_give_byte_identical_telemetry(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = simulate(HEATED_TANK, "--duration", "20", "--seed", "7", "--dt", "0.02", "--out", out)
        assert result.returncode == 0, result.stderr
    assert (first / "telemetry.csv").read_bytes() == (second / "telemetry.csv").read_bytes()


def test_another_seed_changes_the_noisy_telemetry(tmp_path: Path) -> None:
    for seed in ("1", "2"):
        result = simulate(HEATED_TANK, "--duration", "2", "--seed", seed, "--out", tmp_path / seed)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "1" / "telemetry.csv").read_bytes() != (tmp_path / "2" / "telemetry.csv").read_bytes()


def test_invalid_model_exits_2_listing_every_problem_with_its_location(tmp_path: Path) -> None:
    model = write_model(tmp_path / "bad.yaml", """
name: bad
components:
  - {name: g, type: Gain, parameters: {k: "x"}}
  - {name: p, type: PID, parameters: {kp: -1}}
  - {name: q, type: Nope}
connections:
  - {from: g.out, to: p.nothing}
""")
    result = simulate(model, "--out", tmp_path / "out")
    assert result.returncode == 2
    for location in ("components[0].parameters.k", "components[1].parameters.kp", "components[2].type",
                     "connections[0].to"):
        assert location in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unrunnable_graph_exits_2_naming_the_loop_and_the_unconnected_input(tmp_path: Path) -> None:
    model = write_model(tmp_path / "loop.json", json.dumps({
        "name": "loop",
        "components": [{"name": "a", "type": "Gain"}, {"name": "b", "type": "Gain"}, {"name": "c", "type": "PID"}],
        "connections": [{"from": "a.out", "to": "b.in"}, {"from": "b.out", "to": "a.in"}],
    }))
    result = simulate(model, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "a.in -> a.out -> b.in -> b.out -> a.in" in result.stderr
    assert "UnitDelay" in result.stderr
    assert "components[2].inputs.setpoint" in result.stderr


def test_yaml_syntax_error_exits_2_with_the_line(tmp_path: Path) -> None:
    model = write_model(tmp_path / "broken.yaml", "name: x\ncomponents: [\n")
    result = simulate(model, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "line " in result.stderr


def test_missing_file_exits_2_with_a_readable_message(tmp_path: Path) -> None:
    result = simulate(tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "cannot read model file" in result.stderr and "nope.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_exit_2_listing_each_one(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--duration", "-1", "--dt", "0", "--time-scale", "1000", "--record-every", "0",
                      "--out", tmp_path)
    assert result.returncode == 2
    for option in ("--duration", "--dt", "--time-scale", "--record-every"):
        assert f"- {option}:" in result.stderr


def test_record_pattern_matching_no_port_exits_2(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--record", "tank.*,heatr.temperature", "--out", tmp_path)
    assert result.returncode == 2
    assert "'heatr.temperature' matches no port" in result.stderr


def test_record_typo_suggests_the_nearest_port(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--record", "tank.levl", "--out", tmp_path)
    assert result.returncode == 2
    assert "'tank.levl' matches no port (did you mean 'tank.level'?)" in result.stderr


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--out", tmp_path)
    assert result.returncode == 0
    assert "\r" not in result.stderr and "[#" not in result.stderr


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    result = simulate(HEATED_TANK, "--quiet", "--out", tmp_path)
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_default_output_is_a_new_folder_per_run_and_says_where(tmp_path: Path) -> None:
    model = write_model(tmp_path / "tiny.yaml", "name: tiny\ncomponents: [{name: c, type: Constant}]\n")
    first = simulate(model, "--duration", "0.1", cwd=tmp_path)
    second = simulate(model, "--duration", "0.1", cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    runs = sorted((tmp_path / "out" / "tiny").iterdir())
    assert len(runs) == 2  # the second run did not replace the first
    for run_dir, result in zip(runs, (first, second)):
        assert (run_dir / "telemetry.csv").is_file() and (run_dir / "summary.json").is_file()
        assert f"wrote {run_dir.relative_to(tmp_path)}/telemetry.csv" in result.stdout


@pytest.mark.timeout(60)
def test_ctrl_c_stops_cleanly_writes_what_was_done_and_exits_130(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "run.py"), "simulate", str(HEATED_TANK), "--duration", "3600",
           "--realtime", "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    assert "running" in proc.stderr.readline()  # printed once Ctrl-C is handled
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 130, rest
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert summary["ticks"] < 72000  # stopped long before the hour (possibly before the first tick)
    _, rows = read_csv(tmp_path / "telemetry.csv")
    assert len(rows) == summary["ticks"] + 1 == summary["rows"]  # and the state it stopped in


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs_for_the_default_duration(example: Path, tmp_path: Path) -> None:
    result = simulate(example, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ticks"] == round(10.0 / summary["dt"])
    assert all(v is not None and not (isinstance(v, float) and math.isnan(v))
               for v in summary["final_values"].values())


def test_examples_cover_the_three_machines() -> None:
    assert {p.stem for p in EXAMPLES} >= {"heated_tank", "pick_and_place", "conveyor_line"}
