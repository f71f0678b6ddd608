"""Housekeeping a user notices: a licence, and a test suite free of deprecation warnings."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_test_client_imports_without_a_deprecation_warning() -> None:
    code = "import fastapi.testclient, starlette.testclient"
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_mit_licence_file_and_project_metadata_agree() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in licence
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def test_changelog_says_what_to_do_for_each_change() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    entries = [line for line in changelog.splitlines() if line.startswith("- ")]
    assert entries and all("What to do:" in line or "Nothing to do" in line for line in entries)
