"""The twin's OPC UA certificates: download its client certificate for a PLC's trust list, and (platform admins)
trust a PLC certificate the twin refused. Layout and workflow: README "OPC UA certificates (PKI)"."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app.api.deps import SettingsDep
from app.api.errors import error_responses
from app.api.routes.users import PlatformAdmin
from app.api.security import PrincipalDep
from app.schemas.pki import CertificateRead
from app.services import pki as service

router = APIRouter(prefix="/pki", tags=["OPC UA certificates"])

Thumbprint = Annotated[str, Path(pattern="^[0-9A-Fa-f]{40}$", description="SHA-1 thumbprint, 40 hex digits")]


@router.get(
    "/certificate",
    response_class=Response,
    responses={
        200: {
            "description": "The certificate, DER (default) or PEM",
            "content": {"application/pkix-cert": {}, "application/x-pem-file": {}},
        },
        **error_responses(422),
    },
)
def download_client_certificate(
    settings: SettingsDep,
    _: PrincipalDep,
    format: Annotated[Literal["der", "pem"], Query(description="der (default) or pem")] = "der",
) -> Response:
    """The twin's OPC UA client certificate, to put in a PLC's trusted list.

    The CLI (`run.py simulate --hil`, `run.py test`) and the server present this one certificate (DATA_DIR/pki/own);
    it is made on first use. Any signed-in user may download it: it holds no secret.
    """
    pem = format == "pem"
    return Response(
        service.client_certificate(settings.data_dir, pem=pem),
        media_type="application/x-pem-file" if pem else "application/pkix-cert",
        headers={"Content-Disposition": f'attachment; filename="dtwin-client.{"pem" if pem else "der"}"'},
    )


@router.get("/rejected", responses=error_responses(403))
def list_rejected_certificates(settings: SettingsDep, _: PlatformAdmin) -> list[CertificateRead]:
    """PLC server certificates the twin refused because they are not trusted (platform admins), newest first."""
    return [CertificateRead.model_validate(c) for c in service.rejected(settings.data_dir)]


@router.post("/rejected/{thumbprint}/trust", responses=error_responses(403, 404, 422))
def trust_rejected_certificate(thumbprint: Thumbprint, settings: SettingsDep, _: PlatformAdmin) -> CertificateRead:
    """Trust a refused PLC certificate (platform admins): it moves to DATA_DIR/pki/trusted/certs, and the next
    connection to that PLC succeeds. Compare the thumbprint with the one the PLC shows first."""
    return CertificateRead.model_validate(service.trust(settings.data_dir, thumbprint))
