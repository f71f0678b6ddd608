"""The engine is a pure library: importing it (any module but the HIL adapters) pulls in no web or DB stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import app.engine

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn")


def engine_modules() -> list[str]:
    """app.engine and every module below it, except the HIL package (asyncua, certificates)."""
    base = Path(app.engine.__file__).parent
    found = []
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        if parts[0] == "hil":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append(".".join(("app", "engine", *parts)))
    return found


def test_engine_modules_import_no_web_or_database_package() -> None:
    modules = engine_modules()
    assert "app.engine.simulator" in modules and "app.engine.components.machines" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
