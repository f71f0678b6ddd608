"""Users, sign-in sessions and API tokens, and turning a presented token into a request's principal.

Passwords are argon2 hashes (pwdlib). Sessions and API tokens are opaque random strings; only their SHA-256
is stored, so a copy of the database signs nobody in, and a lookup is one indexed query (argon2 is paid at
sign-in only, never per request). Sessions end at sign-out, on expiry and when the password changes; tokens
end on expiry and revocation.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from app.core.errors import ConflictError, NotFoundError, UnauthorizedError, UnprocessableError
from app.db.auth import ApiToken, AuthSession, ProjectMember, User
from app.db.base import utcnow
from app.services.access import LEVEL, Principal

SESSION_PREFIX = "dts_"
TOKEN_PREFIX = "dtw_"
MIN_PASSWORD = 8
LAST_SEEN_EVERY = timedelta(minutes=1)  # refresh last_seen_at at most this often (no write per request)

_hasher = PasswordHash((Argon2Hasher(),))
_DUMMY_HASH = _hasher.hash("not a password of anybody")
LOCAL = Principal(local=True)

# Databases known to have users. Users are never deleted (only deactivated), so once a database has one it
# always will: remembering it saves a query per request, and a forgotten state can only mean "ask again".
_with_users: set[str] = set()
_with_users_lock = threading.Lock()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, loc: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise UnprocessableError(
            f"a password needs at least {MIN_PASSWORD} characters",
            [{"loc": loc, "min_length": MIN_PASSWORD}],
            code="weak_password",
        )


def users_exist(session: Session, database_url: str) -> bool:
    """Whether any user exists, i.e. the server is in multi-user mode."""
    if database_url in _with_users:
        return True
    found = bool(session.scalar(select(exists().where(User.id.is_not(None)))))
    if found:
        with _with_users_lock:
            _with_users.add(database_url)
    return found


# ------------------------------------------------------------------------------------------------ users


def create_user(session: Session, username: str, password: str, is_admin: bool = False) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"a user named {username!r} already exists", [{"loc": "username"}], code="duplicate_name")
    check_password_rules(password)
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin, is_active=True,
                password_changed_at=utcnow())
    session.add(user)
    session.flush()
    return user


def user_by_name(session: Session, username: str, field: str = "username") -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"user {username!r} not found", [{"loc": field, "username": username}], code="not_found")
    return user


def set_password(session: Session, user: User, password: str, keep_session: int | None = None) -> None:
    """Change a password; every session of the user but ``keep_session`` ends."""
    check_password_rules(password, "new_password")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    stmt = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep_session is not None:
        stmt = stmt.where(AuthSession.id != keep_session)
    session.execute(stmt)
    session.flush()


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


def verify(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (the same work either way, so timing tells nothing)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    ok = _hasher.verify(password, user.password_hash)
    return user if ok and user.is_active else None


# ---------------------------------------------------------------------------------------- sessions/tokens


def open_session(session: Session, user: User, hours: float, user_agent: str, source: str) -> tuple[str, AuthSession]:
    """A new sign-in session: (the token to hand out once, the row)."""
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(user_id=user.id, token_hash=digest(token), expires_at=now + timedelta(hours=hours),
                      last_seen_at=now, user_agent=user_agent[:300], source=source[:100])
    session.add(row)
    session.flush()
    return token, row


def close_session(session: Session, session_id: int) -> None:
    session.execute(delete(AuthSession).where(AuthSession.id == session_id))


def create_token(
    session: Session,
    user: User,
    name: str = "",
    project_id: int | None = None,
    role: str | None = None,
    expires_days: float | None = None,
) -> tuple[str, ApiToken]:
    """A new API token: (the token, shown once; the row)."""
    if role is not None and role not in LEVEL:
        raise UnprocessableError(f"unknown role {role!r}", [{"loc": "role", "valid": list(LEVEL)}], code="invalid_role")
    secret = secrets.token_urlsafe(32)
    token = TOKEN_PREFIX + secret
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days is not None else None
    row = ApiToken(user_id=user.id, name=name, prefix=token[:10], token_hash=digest(token), project_id=project_id,
                   role=role, expires_at=expires_at)
    session.add(row)
    session.flush()
    return token, row


def revoke_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


# ------------------------------------------------------------------------------------------- principal


def _memberships(session: Session, user_id: int) -> dict[int, str]:
    rows = session.execute(select(ProjectMember.project_id, ProjectMember.role).where(ProjectMember.user_id == user_id))
    return {project_id: role for project_id, role in rows}


def authenticate(session: Session, database_url: str, token: str | None) -> Principal:
    """The principal of a request presenting ``token`` (a session or an API token), or 401.

    With no user in the database the server is in local single-user mode and every request is the local user.
    """
    if not users_exist(session, database_url):
        return LOCAL
    if not token:
        raise UnauthorizedError("sign in first: send a session or API token (Authorization: Bearer ...)")
    now = utcnow()
    invalid = UnauthorizedError("the session or token is not valid (expired, revoked or signed out)",
                                code="invalid_token")
    if token.startswith(TOKEN_PREFIX):
        found = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest(token))
        ).first()
        if found is None:
            raise invalid
        api_token, user = found
        if token_state(api_token, now) != "active" or not user.is_active:
            raise invalid
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_SEEN_EVERY:
            session.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
        return Principal(user_id=user.id, username=user.username, is_admin=user.is_admin,
                         memberships=_memberships(session, user.id), token_id=api_token.id,
                         token_project=api_token.project_id, token_role=api_token.role)
    signed_in = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id).where(
            AuthSession.token_hash == digest(token)
        )
    ).first()
    if signed_in is None:
        raise invalid
    auth_session, user = signed_in
    if auth_session.expires_at <= now or not user.is_active:
        raise invalid
    if now - auth_session.last_seen_at > LAST_SEEN_EVERY:
        session.execute(update(AuthSession).where(AuthSession.id == auth_session.id).values(last_seen_at=now))
    return Principal(user_id=user.id, username=user.username, is_admin=user.is_admin,
                     memberships=_memberships(session, user.id), session_id=auth_session.id)


def user_read(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "is_admin": user.is_admin, "is_active": user.is_active,
            "created_at": user.created_at}
