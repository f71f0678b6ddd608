"""Stored PLC passwords are encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is ``SECRET_KEY`` from the environment (a Fernet key, or any passphrase, which is stretched with
SHA-256), else ``DATA_DIR/secret.key``, created on first use readable by its owner only (0600). Stored values
carry a ``fernet:`` prefix; a value without it is a password stored before encryption existed, read as it is
and encrypted at the next start (``encrypt_leftovers``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.errors import ConflictError
from app.services.limits import SETTINGS_KEY  # the request's settings in session.info: services reach the key

PREFIX = "fernet:"
KEY_FILE = "secret.key"

_ciphers: dict[tuple[str | None, str], Fernet] = {}
_lock = threading.Lock()


def _key_from_text(text: str) -> bytes:
    raw = text.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def _key_file(data_dir: Path) -> bytes:
    """The key stored in DATA_DIR, created 0600 (never readable by others, not even for a moment)."""
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        key = Fernet.generate_key()
        f.write(key + b"\n")
    return key


def cipher(settings: Settings) -> Fernet:
    ident = (settings.secret_key, str(settings.data_dir.resolve()))
    with _lock:
        found = _ciphers.get(ident)
        if found is None:
            key = _key_from_text(settings.secret_key) if settings.secret_key else _key_file(settings.data_dir)
            found = _ciphers[ident] = Fernet(key)
        return found


def settings_of(session: Session) -> Settings:
    settings = session.info.get(SETTINGS_KEY)
    if settings is None:
        from app.core.config import get_settings

        settings = get_settings()
    return settings


def encrypt(session: Session, password: str | None) -> str | None:
    if password is None or password == "":
        return password
    return PREFIX + cipher(settings_of(session)).encrypt(password.encode()).decode()


def decrypt(session: Session, stored: str | None, endpoint_id: int | None = None) -> str | None:
    """The plain password of a stored value (never logged, never returned by the API)."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        return cipher(settings_of(session)).decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise ConflictError(
            f"the stored password of endpoint {endpoint_id} cannot be decrypted with this server's key "
            "(SECRET_KEY or DATA_DIR/secret.key changed); enter the password again",
            [{"loc": "password", "endpoint_id": endpoint_id}],
            code="password_undecryptable",
        ) from None


def encrypt_leftovers(session: Session) -> int:
    """Encrypt passwords stored before encryption existed; returns how many."""
    from app.db.models import Endpoint

    count = 0
    for endpoint in session.scalars(select(Endpoint).where(Endpoint.password.is_not(None))):
        if endpoint.password and not endpoint.password.startswith(PREFIX):
            endpoint.password = encrypt(session, endpoint.password)
            count += 1
    session.flush()
    return count
