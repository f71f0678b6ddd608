"""PLC passwords at rest: encrypted with a key file created 0600 (or SECRET_KEY), never returned, cleared when the
endpoint's URL or security changes, and never in responses, exports, audit entries or errors."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.db.models import Endpoint
from app.services import endpoints, secrets
from tests.conftest import create

SECRET = "plc-pass-w0rd"


def stored(session: Session, endpoint_id: int) -> str | None:
    session.expire_all()
    row = session.get(Endpoint, endpoint_id)
    assert row is not None
    return row.password


@pytest.fixture
def secured(client: TestClient, project: dict[str, Any]) -> dict[str, Any]:
    return create(client, "endpoints", project_id=project["id"], name="plc", url="opc.tcp://10.0.0.5:4840",
                  username="ua", password=SECRET)


def test_password_is_encrypted_at_rest_with_a_key_file_only_the_owner_reads(
    client: TestClient, secured: dict[str, Any], session: Session, settings: Settings
) -> None:
    value = stored(session, secured["id"])
    assert value is not None and value.startswith("fernet:") and SECRET not in value
    key_file = settings.data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    session.info[secrets.SETTINGS_KEY] = settings
    row = session.get(Endpoint, secured["id"])
    assert row is not None and endpoints.spec(session, row).password == SECRET


def test_secret_key_from_the_environment_is_used_instead_of_the_file(tmp_path: Any, session: Session) -> None:
    settings = Settings(
        database_url="sqlite://", data_dir=tmp_path / "d", secret_key="a long passphrase", _env_file=None
    )
    session.info[secrets.SETTINGS_KEY] = settings
    token = secrets.encrypt(session, SECRET)
    assert token is not None and secrets.decrypt(session, token) == SECRET
    assert not (tmp_path / "d" / "secret.key").exists()
    session.info[secrets.SETTINGS_KEY] = Settings(database_url="sqlite://", data_dir=tmp_path / "d",
                                                 secret_key="another one", _env_file=None)
    with pytest.raises(secrets.ConflictError) as refused:
        secrets.decrypt(session, token, 7)
    assert refused.value.code == "password_undecryptable" and SECRET not in refused.value.message


def test_changing_url_or_security_clears_the_password(client: TestClient, secured: dict[str, Any]) -> None:
    url = f"/api/v1/endpoints/{secured['id']}"
    assert client.patch(url, json={"name": "plc-1"}).json()["has_password"] is True
    assert client.patch(url, json={"url": "opc.tcp://10.0.0.5:4840"}).json()["has_password"] is True  # same URL
    assert client.patch(url, json={"url": "opc.tcp://evil.example:4840"}).json()["has_password"] is False
    assert client.patch(url, json={"password": SECRET}).json()["has_password"] is True
    changed = client.patch(url, json={"security_policy": "Basic256Sha256", "security_mode": "Sign"})
    assert changed.json()["has_password"] is False
    both = client.patch(url, json={"url": "opc.tcp://10.0.0.6:4840", "password": SECRET})
    assert both.json()["has_password"] is True  # a new password sent with the change is kept


def test_password_never_leaves_the_server(client: TestClient, secured: dict[str, Any], project: dict) -> None:
    model = create(client, "machine-models", project_id=project["id"], name="m")
    create(client, "components", machine_model_id=model["id"], name="g", type="Gain", inputs={"in": 0.0})
    answers = [
        client.get(f"/api/v1/endpoints/{secured['id']}").text,
        client.get(f"/api/v1/endpoints?project_id={project['id']}").text,
        client.patch(f"/api/v1/endpoints/{secured['id']}", json={"name": "plc-2"}).text,
        client.get(f"/api/v1/machine-models/{model['id']}/export?format=yaml").text,
        client.get("/api/v1/audit?format=csv").text,
        client.get("/api/v1/audit").text,
        client.post("/api/v1/endpoints", json={"project_id": project["id"], "name": "plc-2", "url": "opc.tcp://x:1",
                                               "password": SECRET}).text,  # a 409 echoes nothing of the body
    ]
    assert all(SECRET not in answer for answer in answers)


def test_passwords_stored_before_encryption_are_encrypted_at_start(
    client: TestClient, secured: dict[str, Any], session: Session, settings: Settings
) -> None:
    row = session.get(Endpoint, secured["id"])
    assert row is not None
    row.password = "legacy-plain"
    session.commit()
    session.info[secrets.SETTINGS_KEY] = settings
    assert secrets.encrypt_leftovers(session) == 1
    session.commit()
    value = stored(session, secured["id"])
    assert value is not None and value.startswith("fernet:") and secrets.decrypt(session, value) == "legacy-plain"
