"""Where a model file came from: the git commit of the work tree holding it, and whether the file differs from it.

Asked of ``git`` itself (``rev-parse``, ``status --porcelain``), never by reading ``.git``; no git, no work tree,
no commit yet or any failure give ``None``: provenance is a courtesy and never stops a run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

GIT_TIMEOUT_SECONDS = 5.0


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git on PATH, a hung repository, ...
        return None
    return done.stdout if done.returncode == 0 else None


def git_revision(model_file: str | Path) -> dict[str, Any] | None:
    """``{"commit", "dirty", "path"}`` of the file in its git work tree, or None.

    ``dirty`` is true when the file differs from ``commit`` (changed, staged or not committed at all), so the commit
    alone does not reproduce it; ``path`` is the file's path inside the work tree, for ``git show COMMIT:PATH``.
    """
    path = Path(model_file).resolve()
    out = _git(path.parent, "rev-parse", "--show-prefix", "HEAD")
    if out is None:
        return None
    lines = out.splitlines()
    if len(lines) != 2:
        return None
    prefix, commit = lines
    status = _git(path.parent, "status", "--porcelain", "--", path.name)
    if status is None:
        return None
    return {"commit": commit.strip(), "dirty": bool(status.strip()), "path": f"{prefix}{path.name}"}
