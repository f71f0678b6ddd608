"""GET /api/v1/pki/certificate (the twin's client certificate for a PLC's trust list) and the rejected PLC
certificates a platform admin may trust, against a real secured asyncua server."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.engine.hil.security import certificate_thumbprint
from tests.api.auth_support import add_user, login
from tests.conftest import assert_error, create
from tests.peers.asyncua_secure import SecurePeer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[SecurePeer]:
    with SecurePeer(tmp_path / "server-pki") as server:
        yield server


def test_the_client_certificate_downloads_as_der_and_pem(client: TestClient, settings: Settings) -> None:
    der = client.get("/api/v1/pki/certificate")
    assert der.status_code == 200, der.text
    assert der.headers["content-type"] == "application/pkix-cert"
    assert der.content == (settings.data_dir / "pki" / "own" / "certs" / "client_cert.der").read_bytes()
    pem = client.get("/api/v1/pki/certificate", params={"format": "pem"})
    assert pem.headers["content-type"].startswith("application/x-pem-file")
    assert x509.load_pem_x509_certificate(pem.content).public_bytes(serialization.Encoding.DER) == der.content
    assert_error(client.get("/api/v1/pki/certificate", params={"format": "p12"}), 422)


def test_any_signed_in_user_downloads_it_and_only_platform_admins_see_rejected_ones(
    client: TestClient, session: Session
) -> None:
    add_user(session, "root", admin=True)
    add_user(session, "viewer")
    assert_error(client.get("/api/v1/pki/certificate"), 401)
    viewer = login(client, "viewer")
    assert client.get("/api/v1/pki/certificate", headers=viewer).status_code == 200
    assert_error(client.get("/api/v1/pki/rejected", headers=viewer), 403)
    assert_error(client.post(f"/api/v1/pki/rejected/{'A' * 40}/trust", headers=viewer), 403)
    root = login(client, "root")
    assert client.get("/api/v1/pki/rejected", headers=root).json() == []
    assert_error(client.post(f"/api/v1/pki/rejected/{'A' * 40}/trust", headers=root), 404)
    assert_error(client.post("/api/v1/pki/rejected/not-a-thumbprint/trust", headers=root), 422)


def test_a_refused_plc_certificate_is_listed_and_trusting_it_lets_the_endpoint_connect(
    client: TestClient, project: dict[str, Any], peer: SecurePeer
) -> None:
    endpoint = create(client, "endpoints", project_id=project["id"], name="plc", url=peer.url,
                      security_policy="Basic256Sha256", security_mode="Sign")
    refused = client.post(f"/api/v1/endpoints/{endpoint['id']}/test").json()
    assert (refused["ok"], refused["reason"]) == (False, "certificate")
    thumbprint = certificate_thumbprint(peer.certificate)
    (listed,) = client.get("/api/v1/pki/rejected").json()
    assert listed["thumbprint"] == thumbprint and listed["file"] in refused["message"]
    trusted = client.post(f"/api/v1/pki/rejected/{thumbprint.lower()}/trust")
    assert trusted.status_code == 200, trusted.text
    assert trusted.json()["thumbprint"] == thumbprint
    assert client.get("/api/v1/pki/rejected").json() == []
    assert client.post(f"/api/v1/endpoints/{endpoint['id']}/test").json()["ok"] is True
    audit = client.get("/api/v1/audit").json()["items"]
    assert any(thumbprint.lower() in str(entry.get("target")) for entry in audit), audit[:3]
