"""``run.py users`` and ``run.py tokens`` as real subprocesses, and ``run.py serve`` refusing the network while no
user exists, then serving it with sign-in required once one does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)
Starter = Callable[[str, int], "subprocess.Popen[str]"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'twin.db'}", "DATA_DIR": str(tmp_path / "data")}


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(env: dict[str, str]) -> Iterator[Starter]:
    started: list[subprocess.Popen[str]] = []

    def start(host: str, port: int) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--host", host, "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


def wait_healthy(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the server did not answer /health")


def test_users_and_tokens_commands(env: dict[str, str]) -> None:
    empty = cli(env, "users", "list")
    assert empty.returncode == 0 and "local single-user mode" in empty.stdout
    created = cli(env, "users", "create", "root", "--admin", stdin="s3cret-password\n")
    assert created.returncode == 0 and "created user root (id 1) as platform admin" in created.stdout
    assert "s3cret-password" not in created.stdout + created.stderr
    again = cli(env, "users", "create", "root", stdin="s3cret-password\n")
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = cli(env, "users", "create", "bob", stdin="short\n")
    assert weak.returncode == 2 and "at least 8 characters" in weak.stderr
    listed = cli(env, "users", "list")
    assert "root" in listed.stdout and "yes" in listed.stdout
    token = cli(env, "tokens", "create", "--user", "root", "--role", "operator", "--expires", "30", "--name", "ci")
    assert token.returncode == 0 and token.stdout.startswith("dtw_") and len(token.stdout.strip().splitlines()) == 1
    assert "shown only this once" in token.stderr and "role operator" in token.stderr
    tokens = cli(env, "tokens", "list")
    assert "active" in tokens.stdout and token.stdout.strip() not in tokens.stdout
    assert cli(env, "tokens", "revoke", "1").returncode == 0
    assert "revoked" in cli(env, "tokens", "list").stdout
    assert cli(env, "tokens", "revoke", "9").returncode == 2
    assert cli(env, "tokens", "create", "--user", "nobody").returncode == 2
    assert cli(env, "users", "passwd", "root", stdin="another-password\n").returncode == 0


def test_serve_refuses_the_network_without_users_then_requires_sign_in(env: dict[str, str], serve: Starter) -> None:
    port = free_port()
    refused = serve("0.0.0.0", port)
    out, _ = refused.communicate(timeout=60)
    assert refused.returncode == 2
    assert "refusing to listen on 0.0.0.0: no user exists" in out and "users create NAME --admin" in out

    assert cli(env, "users", "create", "root", "--admin", stdin="s3cret-password\n").returncode == 0
    token = cli(env, "tokens", "create", "--user", "root").stdout.strip()
    proc = serve("0.0.0.0", port)
    wait_healthy(proc, port)
    base = f"http://127.0.0.1:{port}/api/v1"
    denied = httpx.get(f"{base}/projects")
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{base}/projects", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    signed_in = httpx.post(f"{base}/auth/login", json={"username": "root", "password": "s3cret-password"})
    session_token = signed_in.json()["token"]
    assert httpx.get(f"{base}/auth/me", headers={"Authorization": f"Bearer {session_token}"}).json()["mode"] == \
        "multi-user"
    assert cli(env, "tokens", "revoke", "1").returncode == 0
    assert httpx.get(f"{base}/projects", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert "Multi-user mode" in out and token not in out and session_token not in out


def test_serve_on_loopback_without_users_says_it_is_local_mode(env: dict[str, str], serve: Starter) -> None:
    port = free_port()
    proc = serve("127.0.0.1", port)
    wait_healthy(proc, port)
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/projects").status_code == 200
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert "Local single-user mode" in out
    db = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    assert db.stat().st_mode & 0o077 == 0  # the database is readable by its owner only
