"""The twin's OPC UA certificates in DATA_DIR/pki (layout in app/engine/hil/security.py): its client certificate
to install on a PLC, and the PLC certificates refused so far, which a platform admin may trust."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.core.errors import NotFoundError
from app.engine.hil import security


def client_certificate(data_dir: Path, pem: bool = False) -> bytes:
    """The client certificate every PLC connection presents (made on first use), as DER or PEM."""
    cert_path, _ = security.ensure_client_certificate(data_dir)
    der = cert_path.read_bytes()
    if not pem:
        return der
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def rejected(data_dir: Path) -> list[dict[str, Any]]:
    """The PLC certificates in ``pki/rejected/certs``, newest refusal first."""
    return sorted(security.list_rejected_certificates(data_dir), key=lambda c: c["rejected_at"], reverse=True)


def trust(data_dir: Path, thumbprint: str) -> dict[str, Any]:
    """Move a rejected certificate to ``pki/trusted/certs`` (404 when no rejected certificate has that thumbprint)."""
    listed = {c["thumbprint"]: c for c in security.list_rejected_certificates(data_dir)}
    wanted = thumbprint.upper()
    if wanted not in listed or security.trust_rejected_certificate(data_dir, wanted) is None:
        raise NotFoundError(f"no rejected certificate has thumbprint {wanted}", [{"thumbprint": wanted}])
    return listed[wanted]
