"""``run.py diff`` as a real process: exit 0 same, 1 different (changes printed), 2 unreadable or invalid file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.web.conftest import ROOT

EXAMPLE = ROOT / "examples" / "heated_tank.yaml"


def diff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "run.py", "diff", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_the_same_model_exits_0(tmp_path: Path) -> None:
    result = diff(str(EXAMPLE), str(EXAMPLE))
    assert result.returncode == 0 and "no changes" in result.stdout and result.stderr == ""


def test_a_changed_model_exits_1_and_prints_each_change(tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    text = EXAMPLE.read_text()
    assert "area: 0.05" in text
    changed.write_text(text.replace("area: 0.05", "area: 0.08").replace("level_pid", "level_controller"))
    result = diff(str(EXAMPLE), str(changed))
    assert result.returncode == 1, result.stderr
    assert "~ parameter tank.area: 0.05 -> 0.08" in result.stdout
    assert "~ renamed level_pid: 'level_pid' -> 'level_controller'" in result.stdout
    assert result.stdout.strip().endswith("2 changes")
    as_json = diff("--json", str(EXAMPLE), str(changed))
    assert as_json.returncode == 1
    assert {c["kind"] for c in json.loads(as_json.stdout)} == {"parameter_changed", "component_renamed"}


def test_a_missing_or_invalid_file_exits_2_with_located_problems_and_no_traceback(tmp_path: Path) -> None:
    missing = diff(str(EXAMPLE), str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot read model file" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: x\ncomponents:\n  - {name: a, type: Gian}\n")
    invalid = diff(str(bad), str(EXAMPLE))
    assert invalid.returncode == 2 and "components[0].type" in invalid.stderr
    assert "Traceback" not in missing.stderr + invalid.stderr
    usage = diff(str(EXAMPLE))
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
