"""The audit trail: one append-only entry per state-changing API request (sign-in included), written by
``app/api/audit.py`` after the request's own transaction, whatever its outcome (denied and failed too).

Values are kept with secrets removed (any key containing password, token or secret) and large bodies
summarised by size and SHA-256, so the trail never holds a credential and never grows by a whole import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.auth import AuditEvent, ProjectMember
from app.db.base import utcnow
from app.services.access import ADMIN, Principal
from app.services.common import paginate

SECRET_WORDS = ("password", "token", "secret")
REDACTED = "***"
MAX_BODY = 4096  # bytes of a JSON body kept as values; larger ones are summarised
CSV_COLUMNS = ("id", "at", "user_id", "username", "token_id", "source", "project_id", "action", "method", "target",
               "outcome", "details")


@dataclass
class AuditContext:
    """What a request tells its audit entry while it runs (principal, project, sign-in name, extra values)."""

    principal: Principal | None = None
    project_id: int | None = None
    username: str | None = None  # the name a sign-in tried
    user_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact(value: Any) -> Any:
    """``value`` with every secret-named key's value replaced by ``***`` (recursively)."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and is_secret(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def body_values(body: bytes, size: int, sha256: str, content_type: str) -> dict[str, Any]:
    """The request body as audit values: small JSON redacted, anything else as its size and hash."""
    if size == 0:
        return {}
    if size <= MAX_BODY and content_type.split(";")[0].strip().lower() == "application/json":
        try:
            return {"body": redact(json.loads(body))}
        except ValueError:
            pass
    return {"body": {"size": size, "sha256": sha256, "content_type": content_type[:100]}}


def query_values(query_string: bytes) -> dict[str, Any]:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return {"query": {k: REDACTED if is_secret(k) else v for k, v in pairs}} if pairs else {}


class BodyTap:
    """Keeps the first bytes of a streamed body and hashes all of it."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.size = 0
        self._sha = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._sha.update(chunk)
        if len(self.head) <= MAX_BODY:
            self.head.extend(chunk[: MAX_BODY + 1 - len(self.head)])

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def record(
    session: Session,
    context: AuditContext,
    *,
    source: str,
    action: str,
    method: str,
    target: str,
    outcome: int,
    values: dict[str, Any],
) -> AuditEvent:
    principal = context.principal
    user_id = principal.user_id if principal is not None and not principal.local else context.user_id
    username = principal.username if principal is not None and not principal.local else context.username
    if principal is not None and principal.local:
        username = "(local)"
    entry = AuditEvent(
        at=utcnow(),
        user_id=user_id,
        username=username,
        token_id=principal.token_id if principal is not None else None,
        source=source[:100],
        project_id=context.project_id,
        action=action[:100],
        method=method,
        target=target,
        outcome=outcome,
        details=redact({**values, **context.values}),
    )
    session.add(entry)
    session.flush()
    return entry


def admin_projects(session: Session, principal: Principal) -> list[int] | None:
    """The projects whose audit entries the principal may read (None: all, including entries without one)."""
    if principal.local or (principal.is_admin and principal.token_project is None):
        return None
    if principal.token_role is not None and principal.token_role != ADMIN:
        return []
    ids = [pid for pid, role in principal.memberships.items() if role == ADMIN] if not principal.is_admin else []
    if principal.token_project is not None:
        ids = [principal.token_project] if principal.role_in(principal.token_project) == ADMIN else []
    return ids


def list_(
    session: Session,
    principal: Principal,
    limit: int,
    offset: int,
    project_id: int | None = None,
    user: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Sequence[AuditEvent], int]:
    """Entries newest first, limited to what the principal may read."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    allowed = admin_projects(session, principal)
    if allowed is not None:
        stmt = stmt.where(AuditEvent.project_id.in_(allowed))
    if project_id is not None:
        stmt = stmt.where(AuditEvent.project_id == project_id)
    if user is not None:
        stmt = stmt.where(AuditEvent.username == user)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    return paginate(session, stmt, limit, offset)


def to_csv(entries: Sequence[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row = [getattr(e, c) for c in CSV_COLUMNS]
        row[1] = e.at.isoformat()
        row[-1] = json.dumps(e.details, sort_keys=True, separators=(",", ":"))
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def is_member_admin(session: Session, user_id: int, project_id: int) -> bool:
    return session.scalar(
        select(ProjectMember.role).where(ProjectMember.user_id == user_id, ProjectMember.project_id == project_id)
    ) == ADMIN
