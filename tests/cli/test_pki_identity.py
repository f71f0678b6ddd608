"""One client identity: ``run.py simulate --hil`` and the server present the same certificate from DATA_DIR/pki to
a secured PLC (a real asyncua server on 127.0.0.1), and an untrusted PLC certificate stops the CLI run naming the
file to move."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient

from app.core.config import Settings
from tests.cli.test_simulate import simulate
from tests.conftest import create
from tests.peers.asyncua_secure import NAMESPACE, SecurePeer

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[SecurePeer]:
    with SecurePeer(tmp_path / "server-pki") as server:
        yield server


def _model(path: Path, url: str) -> Path:
    document: dict[str, Any] = {
        "schema_version": 1,
        "name": "pki_loop",
        "dt": 0.05,
        "components": [{"name": "fb", "type": "Gain", "inputs": {"in": 0.0}}],
        "endpoints": [
            {"name": "plc", "url": url, "security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt"}
        ],
        "bindings": [{"port": "fb.in", "endpoint": "plc", "node_id": f"nsu={NAMESPACE};s=Plant.Level",
                      "direction": "read"}],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _fingerprint(cert: Any) -> bytes:
    return bytes(cert.fingerprint(hashes.SHA256()))


def test_the_cli_and_the_server_use_one_client_certificate(
    client: TestClient, project: dict[str, Any], settings: Settings, peer: SecurePeer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    peer.trust_in(settings.data_dir)
    endpoint = create(client, "endpoints", project_id=project["id"], name="plc", url=peer.url,
                      security_policy="Basic256Sha256", security_mode="SignAndEncrypt")
    response = client.post(f"/api/v1/endpoints/{endpoint['id']}/test")
    assert response.status_code == 200 and response.json()["ok"] is True, response.text
    server_cert = peer.client_certificates[-1]

    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))  # the CLI reads the server's setting
    result = simulate(_model(tmp_path / "m.yaml", peer.url), "--hil", "--duration", "0.2", "--quiet",
                      "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert _fingerprint(peer.client_certificates[-1]) == _fingerprint(server_cert)
    assert [p.name for p in (settings.data_dir / "pki" / "own" / "certs").iterdir()] == ["client_cert.der"]


def test_the_cli_refuses_an_untrusted_plc_certificate_unless_told_to_trust_new_ones(
    peer: SecurePeer, tmp_path: Path
) -> None:
    model = _model(tmp_path / "m.yaml", peer.url)
    data = tmp_path / "data"
    result = simulate(model, "--hil", "--duration", "0.2", "--quiet", "--data-dir", data, "--out", tmp_path / "a")
    assert result.returncode == 3, result.stderr
    (rejected,) = (data / "pki" / "rejected" / "certs").iterdir()
    assert f"mv {rejected} {data / 'pki' / 'trusted' / 'certs'}/" in result.stderr

    result = simulate(model, "--hil", "--duration", "0.2", "--quiet", "--data-dir", data, "--trust-new-certificates",
                      "--out", tmp_path / "b")
    assert result.returncode == 0, result.stderr
    (trusted,) = (data / "pki" / "trusted" / "certs").iterdir()
    assert trusted.read_bytes() == peer.certificate
