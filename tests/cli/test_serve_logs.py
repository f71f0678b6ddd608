"""``run.py serve --log-format json``: one JSON object per line, naming the request, the user and the project."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.core.logs import ContextFilter, JsonFormatter, LogContext, TextFormatter, request_context, run_context
from tests.web.conftest import ROOT, free_port


def test_serve_writes_json_lines_with_request_id_user_and_project(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "run.py", "serve", "--port", str(port), "--log-format", "json"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        project = httpx.post(f"{base}/api/v1/projects", json={"name": "logged"}).json()
        httpx.get(f"{base}/api/v1/projects/{project['id']}", headers={"X-Request-ID": "trace-me-1"})
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    lines = [line for line in stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    traced = [e for e in entries if e.get("request_id") == "trace-me-1"]
    assert len(traced) == 1 and traced[0]["logger"] == "uvicorn.access"
    assert "GET /api/v1/projects/" in traced[0]["message"]
    assert traced[0]["user"] == "local" and traced[0]["project_id"] == project["id"]
    assert all(e.get("request_id") for e in entries if e["logger"] == "uvicorn.access")


def _record(message: str) -> logging.LogRecord:
    record = logging.LogRecord("app.test", logging.WARNING, __file__, 1, message, None, None)
    ContextFilter().filter(record)
    return record


def test_records_carry_the_request_and_run_context_in_both_formats() -> None:
    token = request_context.set(LogContext("req-7", user="alice", project_id=3))
    run_token = run_context.set(42)
    try:
        record = _record("tank overflow")
    finally:
        request_context.reset(token)
        run_context.reset(run_token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "tank overflow" and entry["level"] == "warning"
    assert (entry["request_id"], entry["run_id"], entry["user"], entry["project_id"]) == ("req-7", 42, "alice", 3)
    text = TextFormatter().format(record)
    assert text == "WARNING app.test: tank overflow [request=req-7 run=42 user=alice project=3]"
    bare = json.loads(JsonFormatter().format(_record("no context")))
    assert not {"request_id", "run_id", "user", "project_id"} & set(bare)
