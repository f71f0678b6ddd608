"""Provenance in ``summary.json``: the git commit of the model file (and whether the file differs from it), and the
same model hash, engine version, settings and seed as a run record of the API for the same document."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_simulations import import_model, start, wait_status
from tests.cli.test_simulate import HEATED_TANK, ROOT


def simulate(model: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(ROOT / "run.py"), "simulate", str(model), "--out", str(out), "--quiet", *args]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads((out / "summary.json").read_text()))


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env)
    return done.stdout.strip()


def model_repo(tmp_path: Path) -> Path:
    """A git work tree with the heated tank committed at models/tank.yaml."""
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    shutil.copyfile(HEATED_TANK, repo / "models" / "tank.yaml")
    git(repo, "init", "-q")
    git(repo, "add", "models/tank.yaml")
    git(repo, "commit", "-q", "-m", "the tank")
    return repo


def test_a_committed_model_file_names_its_commit_and_is_clean(tmp_path: Path) -> None:
    repo = model_repo(tmp_path)
    summary = simulate(repo / "models" / "tank.yaml", tmp_path / "out", "--duration", "1")
    assert summary["model_git"] == {"commit": git(repo, "rev-parse", "HEAD"), "dirty": False,
                                    "path": "models/tank.yaml"}


def test_a_model_file_with_uncommitted_changes_is_marked_dirty(tmp_path: Path) -> None:
    repo = model_repo(tmp_path)
    model = repo / "models" / "tank.yaml"
    text = model.read_text()
    assert "area: 0.05" in text
    model.write_text(text.replace("area: 0.05", "area: 0.06"))
    summary = simulate(model, tmp_path / "out", "--duration", "1")
    assert summary["model_git"]["dirty"] is True and summary["model_git"]["commit"] == git(repo, "rev-parse", "HEAD")
    # A change elsewhere in the work tree does not make this file dirty.
    git(repo, "commit", "-q", "-am", "wider tank")
    (repo / "notes.txt").write_text("unrelated\n")
    assert simulate(model, tmp_path / "out2", "--duration", "1")["model_git"]["dirty"] is False


def test_a_model_file_not_yet_added_is_dirty(tmp_path: Path) -> None:
    repo = model_repo(tmp_path)
    shutil.copyfile(HEATED_TANK, repo / "models" / "new.yaml")
    assert simulate(repo / "models" / "new.yaml", tmp_path / "out", "--duration", "1")["model_git"]["dirty"] is True


def test_outside_a_work_tree_or_without_git_model_git_is_null_and_the_run_goes_on(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copyfile(HEATED_TANK, plain / "tank.yaml")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}  # never find a repository above tmp_path
    assert simulate(plain / "tank.yaml", tmp_path / "out", "--duration", "1", env=env)["model_git"] is None
    repo = model_repo(tmp_path)
    no_git = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # python, but no git on PATH
    assert shutil.which("git", path=no_git["PATH"]) is None
    summary = simulate(repo / "models" / "tank.yaml", tmp_path / "out2", "--duration", "1", env=no_git)
    assert summary["model_git"] is None and summary["status"] == "completed"


def test_summary_and_the_api_run_record_carry_the_same_provenance(
    tmp_path: Path, client: TestClient, project: dict[str, Any]
) -> None:
    settings = {"duration": 3.0, "seed": 5, "record": {"ports": ["tank.level", "heater.*"], "every": 4}}
    summary = simulate(HEATED_TANK, tmp_path / "out", "--duration", "3", "--seed", "5",
                       "--record", "tank.level,heater.*", "--record-every", "4")
    from app.engine import read_document_file

    model_id = import_model(client, project["id"], read_document_file(str(HEATED_TANK)).to_dict())["id"]
    run = wait_status(client, start(client, model_id, **settings)["id"], "completed")
    keys = ("model_hash", "engine_version", "mode", "seed", "dt", "duration", "realtime", "record")
    assert {k: summary[k] for k in keys} == {k: run[k] for k in keys}
    assert run["document_hash"] == summary["model_hash"]
    assert summary["record"] == {"ports": ["tank.level", "heater.*"], "every": 4} and summary["mode"] == "sim"
