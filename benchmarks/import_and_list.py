"""Import a 5,000-component model through the API and list one page of its components.

Runs the real app in-process with FastAPI's TestClient against a temporary SQLite file (migrated with
Alembic exactly as at start-up). Prints each figure beside its target and the ratio figure/target
(below 1.0 means within target). Not a test: timings never fail the suite.

    python benchmarks/import_and_list.py [--components 5000] [--repeats 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from app.core.config import Settings, get_settings  # noqa: E402
from app.db.migrate import upgrade_to_head  # noqa: E402
from app.db.session import dispose_engine  # noqa: E402
from app.main import create_app  # noqa: E402

IMPORT_TARGET_S = 3.0
LIST_TARGET_S = 0.050


def chain_document(n: int) -> dict:
    """A constant feeding a chain of ``n`` Gain blocks: n + 1 components and n connections."""
    components = [{"name": "src", "type": "Constant", "parameters": {"value": 1.0}}]
    components += [{"name": f"g{i:05d}", "type": "Gain", "parameters": {"k": 1.0 + i * 1e-6}} for i in range(n)]
    connections = [{"from": "src.out", "to": "g00000.in"}]
    connections += [{"from": f"g{i - 1:05d}.out", "to": f"g{i:05d}.in"} for i in range(1, n)]
    return {"schema_version": 1, "name": f"chain_{n}", "dt": 0.01, "components": components, "connections": connections}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", data_dir=Path(tmp), _env_file=None)
        upgrade_to_head(settings.database_url)
        app = create_app()
        app.dependency_overrides[get_settings] = lambda: settings
        body = json.dumps(chain_document(args.components))
        with TestClient(app) as client:
            project = client.post("/api/v1/projects", json={"name": "bench"}).json()
            started = time.perf_counter()
            response = client.post(
                f"/api/v1/machine-models/import?project_id={project['id']}",
                content=body,
                headers={"content-type": "application/json"},
            )
            import_s = time.perf_counter() - started
            assert response.status_code == 201, response.text[:500]
            model_id = response.json()["id"]
            total = client.get(f"/api/v1/components?machine_model_id={model_id}&limit=1").json()["total"]
            connections = client.get(f"/api/v1/connections?machine_model_id={model_id}&limit=1").json()["total"]

            url = f"/api/v1/components?machine_model_id={model_id}&limit=50&offset={total // 2}"
            client.get(url)  # warm-up
            samples = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                page = client.get(url)
                samples.append(time.perf_counter() - started)
                assert page.status_code == 200 and len(page.json()["items"]) == 50
        dispose_engine(settings.database_url)

    list_s = statistics.median(samples)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"model: {total} components, {connections} connections (in-process TestClient, SQLite file); "
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"import:          {import_s * 1000:8.1f} ms   target {IMPORT_TARGET_S * 1000:6.0f} ms   "
        f"ratio {import_s / IMPORT_TARGET_S:.2f}"
    )
    print(
        f"list one page:   {list_s * 1000:8.2f} ms   target {LIST_TARGET_S * 1000:6.0f} ms   "
        f"ratio {list_s / LIST_TARGET_S:.2f}   (median of {args.repeats}, 50 rows, offset {total // 2})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
