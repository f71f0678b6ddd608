"""Engine and session factory; every SQLite connection gets foreign keys ON and WAL journaling."""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings

_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_lock = threading.Lock()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Without this pragma SQLite parses ON DELETE CASCADE and then silently ignores it.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def owner_only_file(database_url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), or make an existing one so.

    It holds password hashes and encrypted PLC passwords; SQLite gives its -wal and -shm files the same mode."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        if path.exists():
            if path.stat().st_uid == os.geteuid():
                path.chmod(0o600)
        elif path.parent.is_dir():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        pass  # a read-only location: SQLite itself will say what is wrong


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_dumps(value: Any) -> str:
    """JSON for JSON columns: a value that overflowed (NaN, ±Infinity) is stored as null, which every database
    and JSON reader accepts (PostgreSQL's json type refuses the NaN/Infinity that Python would write)."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False)


def _pool_options(database_url: str) -> dict[str, Any]:
    """Pool size and overflow from the settings (DB_POOL_SIZE, DB_MAX_OVERFLOW); an in-memory SQLite has no pool."""
    if make_url(database_url).database in (None, "", ":memory:"):
        return {}
    settings = get_settings()
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}


def make_engine(database_url: str, echo: bool = False) -> Engine:
    """A new engine; SQLite URLs get the pragmas and may be shared across the threadpool."""
    if database_url.startswith("sqlite"):
        owner_only_file(database_url)
        engine = create_engine(
            database_url, echo=echo, connect_args={"check_same_thread": False}, json_serializer=json_dumps,
            **_pool_options(database_url),
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(
        database_url, echo=echo, pool_pre_ping=True, json_serializer=json_dumps, **_pool_options(database_url)
    )


def get_engine(database_url: str) -> Engine:
    """The process-wide engine for a URL (created on first use)."""
    with _lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = _engines[database_url] = make_engine(database_url)
            _factories[database_url] = sessionmaker(engine, expire_on_commit=False)
        return engine


def get_session_factory(database_url: str) -> sessionmaker[Session]:
    """The session factory bound to the engine for a URL."""
    get_engine(database_url)
    return _factories[database_url]


def dispose_engine(database_url: str) -> None:
    """Close every pooled connection of a URL's engine and forget it (tests, shutdown)."""
    with _lock:
        engine = _engines.pop(database_url, None)
        _factories.pop(database_url, None)
    if engine is not None:
        engine.dispose()
