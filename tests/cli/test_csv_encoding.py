"""One CSV encoding everywhere: the API's telemetry CSV writes booleans as 1/0, like ``run.py simulate``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import run as run_py
from app.engine import read_document_file
from tests.api.test_simulations import API, import_model, wait_status

ROOT = Path(__file__).resolve().parents[2]
HEATED_TANK = ROOT / "examples" / "heated_tank.yaml"
BOOL_PORT = "level_sensor.active"

pytestmark = pytest.mark.timeout(120)


def bool_column(text: str) -> set[str]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return {row[header.index(BOOL_PORT)] for row in rows}


def test_api_and_cli_write_booleans_the_same_way(client: TestClient, tmp_path: Path) -> None:
    assert run_py.main(["simulate", str(HEATED_TANK), "--duration", "30", "--quiet", "--out", str(tmp_path)]) == 0
    cli = bool_column((tmp_path / "telemetry.csv").read_text())

    project = client.post("/api/v1/projects", json={"name": "csv"}).json()
    model = import_model(client, project["id"], read_document_file(str(HEATED_TANK)).to_dict())
    started = client.post(f"{API}/start", json={"machine_model_id": model["id"], "duration": 30,
                                                "record": {"ports": [BOOL_PORT]}})
    assert started.status_code == 201, started.text
    wait_status(client, started.json()["id"], "completed")
    api = bool_column(client.get(f"{API}/{started.json()['id']}/telemetry", params={"format": "csv"}).text)

    assert cli == api == {"0", "1"}
