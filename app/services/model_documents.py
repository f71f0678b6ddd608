"""The model documents runs ran, stored once per distinct document (content-addressed by ``digest()``).

A run refers to its document by hash, so a rerun, an export or an audit reads exactly what was simulated even
after the stored model was edited or deleted. There is deliberately no route by hash: a document is reached
through a run the caller may see, so identical models of two projects can share a row without one project
learning anything about the other.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import NotFoundError
from app.db.base import utcnow
from app.db.model_documents import StoredModelDocument


def canonical_text(document: engine.ModelDocument) -> str:
    """The exact text ``document.digest()`` hashes: canonical form, sorted keys, no spaces."""
    return json.dumps(document.to_dict(), sort_keys=True, separators=(",", ":"))


def store(session: Session, document: engine.ModelDocument) -> str:
    """Keep the document (once: a document already stored is left as it is) and return its hash."""
    digest = document.digest()
    if session.get(StoredModelDocument, digest) is not None:
        return digest
    text = canonical_text(document).encode()
    now = utcnow()
    values = {"hash": digest, "data": zlib.compress(text, 6), "size": len(text), "created_at": now, "updated_at": now}
    # Two runs of one new model may start at once: the second insert must not fail the request.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(StoredModelDocument).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(StoredModelDocument).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - the platform runs on SQLite and PostgreSQL
        try:
            with session.begin_nested():
                session.execute(insert(StoredModelDocument).values(values))
        except IntegrityError:
            pass
    return digest


def load(session: Session, digest: str) -> dict[str, Any] | None:
    """The stored document with this hash as a dict (canonical form), or None."""
    row = session.get(StoredModelDocument, digest)
    return None if row is None else json.loads(zlib.decompress(row.data))


def of_run(session: Session, kind: str, run_id: int, document_hash: str | None, model_hash: str) -> dict[str, Any]:
    """The document a run ran; 404 ``document_not_kept`` for a run from before documents were stored."""
    data = load(session, document_hash) if document_hash is not None else None
    if data is None:
        raise NotFoundError(
            f"{kind} {run_id} was started before runs kept the document they ran: only its hash ({model_hash}) is "
            "known, so it can be neither exported nor rerun",
            [{"id": run_id, "model_hash": model_hash}],
            code="document_not_kept",
        )
    return data


def canonical(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored document (sorted keys) in the canonical key order of the model export."""
    try:
        return engine.parse_document(stored).to_dict()
    except engine.SimulationError:
        return stored  # stored by an engine that accepted it; still hand it over as it is


__all__ = ["canonical", "canonical_text", "load", "of_run", "store"]
