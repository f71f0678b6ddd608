"""Security set-up of an asyncua ``Client`` from an ``EndpointSpec``, and the twin's PKI folder.

Supported: SecurityPolicy ``None`` and ``Basic256Sha256`` (modes ``Sign`` and ``SignAndEncrypt``), anonymous or
username/password login. Passwords are handed to the client and never logged or put in messages.

The PKI folder ``<data_dir>/pki`` follows the layout of the OPC Foundation's UA-.NET stack (open62541 and most
vendor tools read it the same way)::

    pki/own/certs/client_cert.der      the twin's client certificate (one for the CLI and the server)
    pki/own/private/client_key.pem     its private key (mode 0600)
    pki/trusted/certs/*.der            PLC server certificates the twin trusts
    pki/rejected/certs/*.der           PLC server certificates seen once and refused (move one to trusted/certs)

The client certificate is generated on first use (self-signed RSA 2048 / SHA-256, valid ten years, application URI
``CLIENT_APPLICATION_URI`` as its URI SubjectAltName) with the key usages OPC UA asks of an application instance
certificate: digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment and, as a self-signed certificate
is its own issuer, keyCertSign (with basicConstraints cA, path length 0, which RFC 5280 requires for keyCertSign).
Trust it on the PLC once (most servers put an unknown client certificate in a "rejected" list until an operator
moves it to "trusted").

Server certificates are checked against ``pki/trusted/certs`` before anything is sent under the secured policy:
``configure_security`` fetches the server's certificate with GetEndpoints (over an unsecured channel, as every OPC
UA client does), and if that very certificate is not in the trust list it is written to ``pki/rejected/certs`` and
``UntrustedCertificateError`` names the file and the ``mv`` that trusts it; no secure channel, session or user
name/password reaches the server. asyncua then holds the server to that certificate: the secure channel is opened
with its public key and CreateSession fails on a different one. With ``trust_new=True`` (trust on first use) an
unknown certificate is stored in ``pki/trusted/certs`` and accepted. SecurityPolicy ``None`` has no server
certificate to check. A certificate is trusted when it is itself in the list (issuer chains are not followed).

The twin's own OPC UA server (``server.py``) gets its application instance certificate here too:
``ensure_server_certificate`` makes one per application URI in ``pki``, self-signed like the client's, with
serverAuth as extended key usage.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import os
import re
import socket
import threading
from pathlib import Path
from typing import Any

from asyncua import Client, ua
from asyncua.crypto import security_policies
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.engine.io import EndpointSpec

__all__ = [
    "CLIENT_APPLICATION_URI",
    "SECURITY_MODES",
    "SECURITY_POLICIES",
    "SecurityConfigError",
    "UntrustedCertificateError",
    "certificate_thumbprint",
    "check_server_certificate",
    "client_certificate_paths",
    "configure_security",
    "ensure_client_certificate",
    "ensure_server_certificate",
    "list_rejected_certificates",
    "rejected_dir",
    "server_certificate_paths",
    "trust_rejected_certificate",
    "trusted_dir",
]

_logger = logging.getLogger(__name__)

CLIENT_APPLICATION_URI = "urn:dtwin:hil-client"
CLIENT_APPLICATION_NAME = "dtwin HIL client"
CERT_FILE = "client_cert.der"
KEY_FILE = "client_key.pem"
_CERT_VALIDITY = _dt.timedelta(days=3650)
# Probes (service worker threads) and the HIL client thread may reach first use together: one generator at a time,
# or one could pair its certificate with the other's key.
_generation_lock = threading.Lock()

SECURITY_POLICIES: dict[str, type[security_policies.SecurityPolicy] | None] = {
    "None": None,
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
}
SECURITY_MODES: dict[str, ua.MessageSecurityMode] = {
    "None": ua.MessageSecurityMode.None_,
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}
_POLICY_URI_PREFIX = "http://opcfoundation.org/UA/SecurityPolicy#"


class SecurityConfigError(ValueError):
    """The endpoint's security settings are not a combination we can use."""


class UntrustedCertificateError(Exception):
    """A server's certificate is not in ``pki/trusted/certs``; it was written to ``path`` (in ``pki/rejected``)."""

    def __init__(self, message: str, path: Path, thumbprint: str) -> None:
        super().__init__(message)
        self.path = path
        self.thumbprint = thumbprint


def _policy_name(value: str | None) -> str:
    name = (value or "None").strip()
    if name.startswith(_POLICY_URI_PREFIX):
        name = name[len(_POLICY_URI_PREFIX) :]
    if name not in SECURITY_POLICIES:
        raise SecurityConfigError(f"unsupported security policy {value!r}; supported: {', '.join(SECURITY_POLICIES)}")
    return name


def _mode_name(value: str | None) -> str:
    name = (value or "None").strip()
    if name == "None_":
        name = "None"
    if name not in SECURITY_MODES:
        raise SecurityConfigError(f"unsupported security mode {value!r}; supported: {', '.join(SECURITY_MODES)}")
    return name


def resolve_security(spec: EndpointSpec) -> tuple[str, str]:
    """Normalised ``(policy, mode)`` names for a spec; raises ``SecurityConfigError`` on a bad combination."""
    policy, mode = _policy_name(spec.security_policy), _mode_name(spec.security_mode)
    if policy == "None" and mode != "None":
        raise SecurityConfigError(f"security mode {mode} needs a security policy such as Basic256Sha256, not None")
    if policy != "None" and mode == "None":
        raise SecurityConfigError(f"security policy {policy} needs security mode Sign or SignAndEncrypt, not None")
    if spec.password and not spec.username:
        raise SecurityConfigError("a password was given without a username")
    return policy, mode


def client_certificate_paths(data_dir: Path) -> tuple[Path, Path]:
    """Where the client's certificate (DER) and private key (PEM) live under ``data_dir``."""
    pki = Path(data_dir) / "pki" / "own"
    return pki / "certs" / CERT_FILE, pki / "private" / KEY_FILE


def trusted_dir(data_dir: Path) -> Path:
    """The folder of trusted server certificates."""
    return Path(data_dir) / "pki" / "trusted" / "certs"


def rejected_dir(data_dir: Path) -> Path:
    """The folder where refused server certificates are written."""
    return Path(data_dir) / "pki" / "rejected" / "certs"


def certificate_thumbprint(der: bytes) -> str:
    """The OPC UA thumbprint of a certificate: SHA-1 of its DER bytes, upper-case hex."""
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - the thumbprint OPC UA defines, not a security hash


def _load_certificate(path: Path) -> x509.Certificate | None:
    try:
        data = path.read_bytes()
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (OSError, ValueError):
        return None


def _certificate_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".der", ".pem", ".crt", ".cer"))


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _file_name(cert: x509.Certificate, thumbprint: str) -> str:
    """``<common name>_<thumbprint>.der`` with the name reduced to characters a shell need not quote."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", _common_name(cert)).strip("._-")[:48] or "certificate"
    return f"{slug}_{thumbprint}.der"


def _is_trusted(der: bytes, data_dir: Path) -> bool:
    thumbprint = certificate_thumbprint(der)
    for path in _certificate_files(trusted_dir(data_dir)):
        cert = _load_certificate(path)
        if cert is not None and certificate_thumbprint(cert.public_bytes(serialization.Encoding.DER)) == thumbprint:
            return True
    return False


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def check_server_certificate(der: bytes, data_dir: Path, *, trust_new: bool = False, url: str = "") -> None:
    """Accept ``der`` if it is in ``pki/trusted/certs``; else store it in ``pki/trusted/certs`` (``trust_new``) or
    in ``pki/rejected/certs`` and raise ``UntrustedCertificateError`` saying how to trust it."""
    if _is_trusted(der, data_dir):
        return
    cert = x509.load_der_x509_certificate(der)
    thumbprint = certificate_thumbprint(der)
    name = _file_name(cert, thumbprint)
    where = f" of {url}" if url else ""
    if trust_new:
        path = trusted_dir(data_dir) / name
        _write_public(path, der)
        (rejected_dir(data_dir) / name).unlink(missing_ok=True)
        _logger.warning("trusted the new server certificate%s on first use (%s, thumbprint %s): %s", where,
                        cert.subject.rfc4514_string(), thumbprint, path)
        return
    path = rejected_dir(data_dir) / name
    _write_public(path, der)
    trusted_dir(data_dir).mkdir(parents=True, exist_ok=True)  # so that the mv below works as written
    raise UntrustedCertificateError(
        f"the server certificate{where} is not trusted (subject {cert.subject.rfc4514_string()}, SHA-1 thumbprint "
        f"{thumbprint}); it was saved as {path}. Compare the thumbprint with the one the PLC shows, then trust it "
        f"with: mv {path} {trusted_dir(data_dir)}/ (or allow trust on first use: OPCUA_TRUST_ON_FIRST_USE=true, "
        "run.py simulate --trust-new-certificates)",
        path,
        thumbprint,
    )


def list_rejected_certificates(data_dir: Path) -> list[dict[str, Any]]:
    """The certificates in ``pki/rejected/certs``: file, thumbprint, subject, validity and when it was refused."""
    out: list[dict[str, Any]] = []
    for path in _certificate_files(rejected_dir(data_dir)):
        cert = _load_certificate(path)
        if cert is None:
            continue
        out.append(
            {
                "file": path.name,
                "thumbprint": certificate_thumbprint(cert.public_bytes(serialization.Encoding.DER)),
                "subject": cert.subject.rfc4514_string(),
                "not_valid_after": cert.not_valid_after_utc,
                "rejected_at": _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc),
            }
        )
    return out


def trust_rejected_certificate(data_dir: Path, thumbprint: str) -> Path | None:
    """Move the rejected certificate with ``thumbprint`` to ``pki/trusted/certs``; its new path, or None."""
    wanted = thumbprint.strip().upper().replace(":", "")
    for path in _certificate_files(rejected_dir(data_dir)):
        cert = _load_certificate(path)
        if cert is not None and certificate_thumbprint(cert.public_bytes(serialization.Encoding.DER)) == wanted:
            target = trusted_dir(data_dir) / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            return target
    return None


def _certificate_usable(cert_path: Path, application_uri: str) -> bool:
    try:
        cert = x509.load_der_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    now = _dt.datetime.now(_dt.timezone.utc)
    in_date = cert.not_valid_before_utc <= now < cert.not_valid_after_utc - _dt.timedelta(days=1)
    usages = (usage.digital_signature, usage.content_commitment, usage.key_encipherment, usage.data_encipherment,
              usage.key_cert_sign)
    return in_date and all(usages) and application_uri in san.get_values_for_type(x509.UniformResourceIdentifier)


def _load_private_key(key_path: Path) -> rsa.RSAPrivateKey | None:
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    return key if isinstance(key, rsa.RSAPrivateKey) else None


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def server_certificate_paths(data_dir: Path, application_uri: str) -> tuple[Path, Path]:
    """Where the twin server's certificate (DER) and key (PEM) for one application URI live under ``data_dir``.

    One pair per application URI (each served model and port has its own), named after a digest of the URI, so
    two twins served at once never overwrite each other's certificate.
    """
    tag = hashlib.sha256(application_uri.encode()).hexdigest()[:16]
    pki = Path(data_dir) / "pki"
    return pki / f"twin_server_{tag}_cert.der", pki / f"twin_server_{tag}_key.pem"


def ensure_client_certificate(data_dir: Path, application_uri: str = CLIENT_APPLICATION_URI) -> tuple[Path, Path]:
    """Return ``(cert, key)`` paths, generating a self-signed pair on first use (or if the stored one is unusable)."""
    cert_path, key_path = client_certificate_paths(data_dir)
    with _generation_lock:
        return _ensure_certificate(cert_path, key_path, application_uri, CLIENT_APPLICATION_NAME, server=False)


def ensure_server_certificate(data_dir: Path, application_uri: str, application_name: str) -> tuple[Path, Path]:
    """The twin server's ``(cert, key)`` paths for ``application_uri``, generated on first use like the client's."""
    cert_path, key_path = server_certificate_paths(data_dir, application_uri)
    with _generation_lock:
        return _ensure_certificate(cert_path, key_path, application_uri, application_name, server=True)


def _ensure_certificate(
    cert_path: Path, key_path: Path, application_uri: str, common_name: str, *, server: bool
) -> tuple[Path, Path]:
    key = _load_private_key(key_path)
    if key is not None and cert_path.exists() and _certificate_usable(cert_path, application_uri):
        return cert_path, key_path
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
    hostname = socket.gethostname()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dtwin"),
        ]
    )
    now = _dt.datetime.now(_dt.timezone.utc)
    # A self-signed certificate is its own issuer: OPC UA asks for keyCertSign on it (some stacks refuse one
    # without), and X.509 (RFC 5280) allows keyCertSign only with cA set.
    usages = (
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        if server
        else [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _CERT_VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(application_uri), x509.DNSName(hostname), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.DER))
    _logger.info("generated OPC UA %s certificate %s for %s", "server" if server else "client", cert_path,
                 application_uri)
    return cert_path, key_path


async def configure_security(
    client: Client, spec: EndpointSpec, data_dir: Path, *, trust_new: bool = False
) -> tuple[str, str]:
    """Apply the spec's security policy/mode and identity to ``client`` (call before ``connect``).

    Returns the normalised ``(policy, mode)``. For a secure policy this contacts the server once (GetEndpoints over
    an unsecured channel) to fetch its certificate, so connection errors can surface here, and checks that
    certificate against the trust list (``UntrustedCertificateError``; ``trust_new`` trusts a new one) before
    ``connect`` can send anything under it, the user name and password included.
    """
    policy, mode = resolve_security(spec)
    client.application_uri = CLIENT_APPLICATION_URI
    client.name = CLIENT_APPLICATION_NAME
    client.description = CLIENT_APPLICATION_NAME
    if spec.username:
        client.set_user(spec.username)
        client.set_password(spec.password or "")
    policy_class = SECURITY_POLICIES[policy]
    if policy_class is not None:
        cert_path, key_path = ensure_client_certificate(data_dir, CLIENT_APPLICATION_URI)
        await client.set_security(policy_class, str(cert_path), str(key_path), mode=SECURITY_MODES[mode])
        peer = client.security_policy.peer_certificate
        if not peer:
            raise UntrustedCertificateError(f"{spec.url} sent no server certificate for {policy}", Path(), "")
        check_server_certificate(peer, data_dir, trust_new=trust_new, url=spec.url)
    return policy, mode
