"""Helpers shared by the services: load-or-404, pagination, engine error translation, releasing the connection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.core.errors import NotFoundError, UnprocessableError
from app.db.base import TimestampedBase
from app.engine._exceptions import ModelError
from app.services import access

M = TypeVar("M", bound=TimestampedBase)

_LABELS = {
    "projects": "project",
    "machine_models": "machine model",
    "components": "component",
    "connections": "connection",
    "endpoints": "endpoint",
    "communication_bindings": "communication binding",
    "simulation_runs": "simulation run",
    "scenarios": "scenario",
    "scenario_runs": "scenario run",
    "campaigns": "campaign",
}


def storable_id(object_id: int) -> bool:
    """Whether an id fits the database's id columns (64-bit signed, ids start at 1)."""
    return 1 <= object_id < 2**63


def get_or_404(session: Session, model: type[M], object_id: int, field: str | None = None) -> M:
    """The row with this id, or NotFoundError naming what was missing (and the request field, if any).

    An object the request's principal may not see is missing too, with the very same error (app/services/access.py);
    one it sees but may not act on with the route's role is a 403.
    """
    # An id no database column can hold (>= 2**63, < 1) does not exist; never ask the database about it.
    row = session.get(model, object_id) if storable_id(object_id) else None
    if row is None or not access.check(session, row):
        label = _LABELS.get(model.__tablename__, model.__tablename__)
        details = [{"loc": field, "id": object_id}] if field else [{"id": object_id}]
        raise NotFoundError(f"{label} {object_id} not found", details)
    return row


def paginate(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[Sequence[Any], int]:
    """One page of ``stmt`` (ordered by id) plus the total count of rows it matches."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = session.scalars(stmt.limit(limit).offset(offset)).all()
    return items, total


def release_connection(session: Session) -> None:
    """Commit the request's work so far, which gives its database connection back to the pool.

    Call it right before waiting on something outside (a PLC may take seconds to answer, or never does): a
    request that held its pooled connection through the wait would let a few slow PLCs exhaust the pool and
    stall every other request. Loaded objects stay usable (sessions are made with ``expire_on_commit=False``)
    and the next query checks a connection out again, in a new transaction. So call it only where the work
    done so far may stand on its own (a later error no longer rolls it back); it also runs the ``after_commit``
    hooks registered so far.
    """
    session.commit()


def _located(problem: dict[str, Any], loc: str | None) -> dict[str, Any]:
    if not loc or "loc" in problem:
        return problem
    field = problem.get("field") or problem.get("port")
    return {"loc": f"{loc}.{field}" if field else loc, **problem}


@contextmanager
def engine_errors(loc: str | None = None) -> Iterator[None]:
    """Turn an engine ModelError into a 422 whose details are the engine's problems (located at ``loc``)."""
    try:
        yield
    except ModelError as exc:
        details = [_located(problem, loc) for problem in exc.problems]
        raise UnprocessableError(exc.message, details, code=exc.code) from exc
