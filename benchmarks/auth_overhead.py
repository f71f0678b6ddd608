"""What does authentication cost per request?

Two real servers (uvicorn child processes on free 127.0.0.1 ports, each with its own SQLite file and the same
data: a project with a 50-component model): one in local single-user mode (no user, no credentials), one in
multi-user mode where every request carries an API token (or a session token) and is checked against the
project role. Requests alternate between the servers in interleaved rounds, so both see the same machine
load. Prints median and p99 per request kind and the ratio authenticated / local.

Request kinds: reading one object (lookup + visibility + role), a filtered list (visibility filter in SQL),
and a change (also writes its audit entry, which the local server does as well).

    python benchmarks/auth_overhead.py [--requests 400] [--rounds 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrate import upgrade_to_head  # noqa: E402
from app.db.session import dispose_engine, get_session_factory  # noqa: E402
from app.services import auth  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def document(n: int = 50) -> dict[str, Any]:
    components = [{"name": "src", "type": "Constant", "parameters": {"value": 1.0}}]
    connections = []
    for i in range(n - 1):
        components.append({"name": f"g{i}", "type": "Gain", "parameters": {"k": 1.0}})
        connections.append({"from": f"{'src' if i == 0 else f'g{i - 1}'}.out", "to": f"g{i}.in"})
    return {"schema_version": 1, "name": "chain", "dt": 0.01, "components": components, "connections": connections}


class Server:
    def __init__(self, workdir: Path, name: str, with_user: bool) -> None:
        self.url_db = f"sqlite:///{workdir / f'{name}.db'}"
        upgrade_to_head(self.url_db)
        self.headers: dict[str, str] = {}
        if with_user:
            with get_session_factory(self.url_db)() as session:
                user = auth.create_user(session, "bench", "bench-password", is_admin=False)
                token, _ = auth.create_token(session, user, "bench")
                session.commit()
            dispose_engine(self.url_db)
            self.headers = {"Authorization": f"Bearer {token}"}
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": self.url_db, "DATA_DIR": str(workdir / f"{name}-data")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=self.headers, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        project = self.client.post("/api/v1/projects", json={"name": "bench"}).json()
        self.project_id = project["id"]
        model = self.client.post(f"/api/v1/machine-models/import?project_id={self.project_id}", json=document())
        self.model_id = model.json()["id"]

    def requests(self) -> dict[str, tuple[str, str, Any]]:
        return {
            "GET one model": ("GET", f"/api/v1/machine-models/{self.model_id}", None),
            "GET 50 components": ("GET", f"/api/v1/components?machine_model_id={self.model_id}&limit=50", None),
            "PATCH the project (audited)": ("PATCH", f"/api/v1/projects/{self.project_id}", {"description": "x"}),
        }

    def time(self, method: str, path: str, body: Any) -> float:
        start = time.perf_counter()
        response = self.client.request(method, path, json=body)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.text
        return elapsed

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per kind and server (all rounds)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        local, secured = Server(Path(tmp), "local", False), Server(Path(tmp), "auth", True)
        try:
            samples: dict[tuple[str, str], list[float]] = {}
            per_round = max(1, args.requests // args.rounds)
            for _ in range(args.rounds):
                for kind in local.requests():
                    for name, server in (("local", local), ("auth", secured)):
                        method, path, body = server.requests()[kind]
                        for _ in range(10):  # warm the connection and caches, untimed
                            server.time(method, path, body)
                        samples.setdefault((kind, name), []).extend(
                            server.time(method, path, body) for _ in range(per_round)
                        )
        finally:
            local.stop()
            secured.stop()
    print(f"{'request':<30} {'local median/p99 ms':>22} {'token median/p99 ms':>22} {'ratio median':>13} "
          f"{'ratio p99':>10}")
    for kind in local.requests():
        a, b = sorted(samples[(kind, "local")]), sorted(samples[(kind, "auth")])
        ma, mb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
        pa, pb = a[int(0.99 * (len(a) - 1))] * 1e3, b[int(0.99 * (len(b) - 1))] * 1e3
        print(f"{kind:<30} {ma:>10.2f} / {pa:>8.2f} {mb:>10.2f} / {pb:>8.2f} {mb / ma:>12.2f}x {pb / pa:>9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
