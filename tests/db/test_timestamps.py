"""Every row carries created_at and updated_at."""

import time
from typing import Any

from fastapi.testclient import TestClient

from app.db.base import TimestampedBase


def test_every_table_has_created_and_updated_columns() -> None:
    for mapper in TimestampedBase.registry.mappers:
        columns = mapper.local_table.columns
        assert "created_at" in columns and "updated_at" in columns, mapper.local_table.name


def test_update_moves_updated_at_but_not_created_at(client: TestClient, project: dict[str, Any]) -> None:
    time.sleep(0.01)
    updated = client.patch(f"/api/v1/projects/{project['id']}", json={"description": "new"}).json()
    assert updated["created_at"] == project["created_at"]
    assert updated["updated_at"] > project["updated_at"]


def test_timestamps_are_returned_in_utc(client: TestClient, project: dict[str, Any]) -> None:
    fetched = client.get(f"/api/v1/projects/{project['id']}").json()
    assert fetched["created_at"].endswith(("Z", "+00:00"))
