"""``python run.py test SCENARIO --seeds N --sweep ... --metric ...`` as a real command: exit codes, the summary, the
reproduce commands, reports, option errors without a traceback, and the same result on a Dask cluster."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.campaigns.support import MODEL, scenario_document
from tests.peers.dask_cluster import DaskCluster

ROOT = Path(__file__).resolve().parents[2]
GRID = ["--seeds", "4", "--sweep", "g.k=1.5,2,2.5", "--sweep", "ramp.slope=0.9:1.0:2", "--metric", "g.out:max"]

pytestmark = pytest.mark.timeout(180)


def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "ramp_gain.yaml").write_text(yaml.safe_dump(MODEL), encoding="utf-8")
    path = tmp_path / "noisy.yaml"
    path.write_text(yaml.safe_dump(scenario_document()), encoding="utf-8")
    return path


def cli(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "run.py", "test", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=150)


def without_timing(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("wall_time", "executor"):
        data.pop(key)
    for case in (*data["cases"], *data["worst"]):
        case.pop("wall_time")
    return data


def test_a_campaign_with_failing_points_exits_1_and_names_the_worst_cases(tmp_path: Path) -> None:
    proc = cli(scenario_file(tmp_path), *GRID, "--jobs", "2")
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "6 point(s) x 4 seed(s) = 24 run(s) on 2 local process(es)" in out
    assert [line.split()[:5] for line in out.splitlines()[1:8]][4] == ["3", "2", "1.0", "2/4", "50.0%"]
    assert "24 run(s) (6 point(s) x 4 seed(s)): 10 passed, 14 failed; pass rate 41.7%" in out
    assert "g.out:max: lowest" in out
    assert "FAIL  point 0 (g.k=1.5, ramp.slope=0.9), seed 0" in out


def test_the_command_printed_for_a_worst_case_reproduces_it(tmp_path: Path) -> None:
    proc = cli(scenario_file(tmp_path), *GRID, "--worst", "20")
    lines = proc.stdout.splitlines()
    k = next(i for i, line in enumerate(lines) if "point 3 (g.k=2, ramp.slope=1)" in line)
    why, command = lines[k + 1].strip(), lines[k + 2].strip()
    assert command.startswith("python run.py test ") and "--seed" in command and "--set g.k=2" in command
    again = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 1, again.stderr
    assert f"FAIL {why}" in again.stdout  # the same assertion fails with the same numbers


def test_a_campaign_where_every_run_passes_exits_0(tmp_path: Path) -> None:
    proc = cli(scenario_file(tmp_path), "--seeds", "3", "--sweep", "g.k=2", "--sweep", "ramp.slope=0.9", "--jobs", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 run(s) (1 point(s) x 3 seed(s)): 3 passed, 0 failed; pass rate 100.0%" in proc.stdout


def test_reports_junit_html_and_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = cli(scenario_file(tmp_path), *GRID, "--junit", out / "junit.xml", "--html", out / "campaign.html",
               "--out", out)
    assert proc.returncode == 1, proc.stderr
    root = ET.parse(out / "junit.xml").getroot()
    assert len(root.findall("testsuite")) == 6 and len(list(root.iter("testcase"))) == 24
    assert "Pass rate: g.k (rows)" in (out / "campaign.html").read_text(encoding="utf-8")
    data = json.loads((out / "campaign.json").read_text(encoding="utf-8"))
    assert data["runs"] == 24 and len(data["cases"]) == 24 and data["worst"][0]["reproduce"].startswith("python run.py")


@pytest.mark.parametrize("args, message", [
    (["--sweep", "g.k"], "--sweep g.k: 'g.k': expected component.parameter=VALUES"),
    (["--sweep", "g.k=1:2"], "--sweep g.k=1:2: '1:2': a range is start:stop:count"),
    (["--seeds", "many"], "--seeds: expected a number of seeds"),
    (["--seeds", "2", "--seed", "3"], "give --seeds N (seeds 0..N-1) or --seed S (one seed), not both"),
    (["--sweep", "g.kk=1,2"], "--sweep g.kk=1,2: Gain 'g' has no parameter 'kk' (did you mean 'k'?)"),
    (["--sweep", "gain.k=1"], "--sweep gain.k=1: unknown component 'gain'"),
    (["--seeds", "2", "--metric", "g.outt:max"], "--metric g.outt:max: unknown port 'g.outt' (did you mean 'g.out'?)"),
    (["--metric", "g.out:median"], "unknown reducer 'median' (did you mean 'mean'?)"),
    (["--set", "g.k=1,2"], "--set g.k=1,2: one value only; use --sweep for several"),
])
def test_bad_campaign_options_exit_2_with_a_message_and_no_traceback(tmp_path: Path, args: list[str],
                                                                     message: str) -> None:
    proc = cli(scenario_file(tmp_path), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert "run(s) on" not in proc.stdout  # nothing ran


def test_a_campaign_runs_one_scenario(tmp_path: Path) -> None:
    path = scenario_file(tmp_path)
    proc = cli(path, path, "--seeds", "2")
    assert proc.returncode == 2 and "a campaign runs one scenario; 2 scenario files were given" in proc.stderr


def test_the_same_campaign_on_a_dask_cluster_writes_the_same_result(tmp_path: Path) -> None:
    path = scenario_file(tmp_path)
    local = cli(path, *GRID, "--out", tmp_path / "local")
    with DaskCluster(workers=2) as cluster:
        remote = cli(path, *GRID, "--out", tmp_path / "dask", "--scheduler", cluster.address)
    assert (local.returncode, remote.returncode) == (1, 1), remote.stderr
    assert f"on Dask {cluster.address} (2 worker thread(s))" in remote.stdout
    read = [json.loads((tmp_path / d / "campaign.json").read_text(encoding="utf-8")) for d in ("local", "dask")]
    assert without_timing(read[1]) == without_timing(read[0])
