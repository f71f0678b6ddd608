"""OPC UA certificates of the twin's PKI folder (DATA_DIR/pki)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CertificateRead(BaseModel):
    """A PLC server certificate in the twin's trust list folders."""

    file: str = Field(description="file name in DATA_DIR/pki/rejected/certs (or trusted/certs once trusted)")
    thumbprint: str = Field(description="SHA-1 of the DER certificate, upper-case hex (as OPC UA tools show it)")
    subject: str = Field(description="the certificate's subject, e.g. CN=PLC-1,O=Plant")
    not_valid_after: datetime
    rejected_at: datetime = Field(description="when the twin last refused it")
