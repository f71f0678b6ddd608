"""The README's CLI examples, run as a new user would: in a fresh folder, one after the other, and where the
README shows the output, the same output (wall-clock timings aside). Keeps the README's examples true."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND = re.compile(r"^(?:\$ )?(?:\.venv/bin/)?python run\.py (?:simulate|test) .*")
# Need a PLC, a served twin, the wall clock or a file the README leaves to the reader.
NOT_HERE = ("--hil", "--opcua-server", "--replay", "--realtime", "--time-scale", "my_scenario", "--scheduler")
TIMINGS = [(re.compile(r"in [\d.]+ s \([\d,]+ ticks/s\)"), "in <wall> s (<rate> ticks/s)"),
           (re.compile(r"assertions, [\d.]+ s\)"), "assertions, <wall> s)")]

pytestmark = pytest.mark.timeout(300)


def examples() -> list[tuple[str, list[str]]]:
    """Every runnable CLI example with the output the README shows for it (in console blocks; else empty)."""
    found: list[tuple[str, list[str]]] = []
    language: str | None = None  # of the code block we are in; None outside blocks
    collecting = False
    # A command continued with a trailing backslash is one command.
    text = re.sub(r"\\\n\s*", " ", (ROOT / "README.md").read_text(encoding="utf-8"))
    for line in text.splitlines():
        if line.startswith("```"):
            language = None if language is not None else line[3:].strip()
            collecting = False
        elif language is not None and COMMAND.match(line):
            found.append((line.removeprefix("$ ").strip(), []))
            collecting = language == "console"
        elif line.startswith("$ "):
            collecting = False
        elif collecting:
            found[-1][1].append(line)
    return [(c, out) for c, out in found if not any(flag in c for flag in NOT_HERE)]


def normalised(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern, placeholder in TIMINGS:
            line = pattern.sub(placeholder, line)
        out.append(line.rstrip())
    return out


def test_the_readme_has_cli_examples_with_output() -> None:
    found = examples()
    assert len(found) >= 6 and sum(bool(out) for _, out in found) >= 2


def test_every_readme_cli_example_runs_as_shown(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for line, shown in examples():
        command, _, comment = line.partition("  #")
        expected = re.search(r"\bexit (\d+)", comment)  # the README says when an example exits non-zero
        argv = shlex.split(command)
        argv = [sys.executable, str(ROOT / "run.py"), *argv[2:]]
        result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        wanted = int(expected.group(1)) if expected else 0
        assert result.returncode == wanted, f"{command}\n{result.stdout}{result.stderr}"
        if shown:
            assert normalised(result.stdout.splitlines()) == normalised(shown), command
