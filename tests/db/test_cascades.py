"""Deleting a parent removes what it contains, enforced by the database itself."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import CommunicationBinding, Component, Connection, Endpoint, MachineModel, Project
from tests.conftest import create


@pytest.fixture
def filled(client: TestClient, model: dict[str, Any], endpoint: dict[str, Any]) -> dict[str, Any]:
    a = create(client, "components", machine_model_id=model["id"], name="a", type="Constant")
    b = create(client, "components", machine_model_id=model["id"], name="b", type="Gain")
    create(
        client,
        "connections",
        source_component_id=a["id"],
        source_port="out",
        target_component_id=b["id"],
        target_port="in",
    )
    create(
        client,
        "communication-bindings",
        component_id=b["id"],
        port="out",
        endpoint_id=endpoint["id"],
        node_id="ns=2;s=B",
        direction="write",
    )
    return {"model": model, "endpoint": endpoint, "a": a, "b": b}


def _count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_deleting_a_component_removes_its_connections_and_bindings(
    client: TestClient, filled: dict[str, Any], session: Session
) -> None:
    assert client.delete(f"/api/v1/components/{filled['b']['id']}").status_code == 204
    assert (_count(session, Component), _count(session, Connection), _count(session, CommunicationBinding)) == (1, 0, 0)


def test_deleting_a_model_removes_components_connections_and_bindings(
    client: TestClient, filled: dict[str, Any], session: Session
) -> None:
    client.delete(f"/api/v1/machine-models/{filled['model']['id']}")
    counts = [_count(session, t) for t in (Component, Connection, CommunicationBinding, Endpoint)]
    assert counts == [0, 0, 0, 1]


def test_deleting_an_endpoint_removes_its_bindings(
    client: TestClient, filled: dict[str, Any], session: Session
) -> None:
    client.delete(f"/api/v1/endpoints/{filled['endpoint']['id']}")
    assert _count(session, CommunicationBinding) == 0 and _count(session, Component) == 2


def test_deleting_a_project_removes_everything_in_it(
    client: TestClient, filled: dict[str, Any], session: Session
) -> None:
    client.delete(f"/api/v1/projects/{filled['model']['project_id']}")
    tables = (MachineModel, Component, Connection, Endpoint, CommunicationBinding)
    assert [_count(session, t) for t in tables] == [0, 0, 0, 0, 0]


def test_cascade_is_done_by_the_database_not_the_orm(filled: dict[str, Any], session: Session) -> None:
    session.execute(delete(Project))  # a bulk SQL DELETE: no ORM relationship is loaded or consulted
    session.commit()
    assert _count(session, Component) == 0 and _count(session, CommunicationBinding) == 0


def test_row_pointing_at_a_missing_parent_is_rejected(session: Session) -> None:
    session.add(MachineModel(project_id=12345, name="orphan"))
    with pytest.raises(IntegrityError):
        session.flush()
