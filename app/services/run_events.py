"""The event log of a simulation run: what happened to it (started, forces, faults, edits, HIL link, finished).

Each active run keeps its log in memory (``RunEventLog`` on its handle): the places where things happen
append to it, the live stream listens to it, and the run's writer stores the entries not yet stored in
``run_events`` about once a second and once more at the end, so the log outlives the run (and all but the last
second of it outlives a crash). An event caused by a request names its user (``user_of``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.db.base import utcnow
from app.db.runs import RunEvent
from app.services import access

__all__ = ["EVENT_KINDS", "Listener", "RunEventLog", "event_rows", "stored_events", "user_of"]

EVENT_KINDS = (
    "started",
    "force",
    "release",
    "fault_injected",
    "fault_cleared",
    "parameter",
    "time_scale",
    "io_disconnected",
    "io_reconnected",
    "model_edit_applied",
    "model_edit_refused",
    "finished",
)

Listener = Callable[[dict[str, Any]], None]


def user_of(session_or_row: Session | Any) -> str | None:
    """The user of the request that owns this session (or that loaded this row); None in local mode and for
    sessions no request opened."""
    session = session_or_row if isinstance(session_or_row, Session) else object_session(session_or_row)
    principal = access.principal_of(session) if session is not None else None
    return principal.username if principal is not None else None


def iso(moment: datetime) -> str:
    """UTC wall time as ISO 8601 with a ``Z``, as the REST responses write it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RunEventLog:
    """Events of one run, numbered from 1; thread-safe. Listeners are called under the log's lock, in order."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._stored = 0  # events[:_stored] are in the database

    def log(
        self, kind: str, tick: int, t: float, message: str, /, *, user: str | None = None, **data: Any
    ) -> dict[str, Any]:
        """Append an event at simulated ``tick``/``t`` (wall time now), caused by ``user``; tell the listeners."""
        with self._lock:
            event = {
                "seq": len(self._events) + 1,
                "kind": kind,
                "tick": tick,
                "t": t,
                "at": iso(utcnow()),
                "message": message,
                "user": user,
                "data": data,
            }
            self._events.append(event)
            for listener in self._listeners:
                listener(event)
        return event

    def after(self, seq: int = 0) -> list[dict[str, Any]]:
        """Events with a sequence number above ``seq``."""
        with self._lock:
            return self._events[max(0, seq) :]

    def subscribe(self, listener: Listener) -> list[dict[str, Any]]:
        """Call ``listener(event)`` for every later event; returns the events so far (none is missed or doubled)."""
        with self._lock:
            self._listeners.append(listener)
            return list(self._events)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners = [x for x in self._listeners if x is not listener]

    def unstored(self) -> list[dict[str, Any]]:
        """Events not yet written to the database (pass them to ``mark_stored`` once they are)."""
        with self._lock:
            return self._events[self._stored :]

    def mark_stored(self, events: list[dict[str, Any]]) -> None:
        if events:
            with self._lock:
                self._stored = max(self._stored, events[-1]["seq"])


def event_rows(run_id: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``run_events`` rows for an ``insert`` of these events."""
    now = utcnow()
    return [
        {**e, "at": datetime.fromisoformat(e["at"]), "run_id": run_id, "created_at": now, "updated_at": now}
        for e in events
    ]


def stored_events(session: Session, run_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
    """A run's events from the database, in order."""
    rows = session.scalars(
        select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.seq > after_seq).order_by(RunEvent.seq)
    )
    return [
        {"seq": r.seq, "kind": r.kind, "tick": r.tick, "t": r.t, "at": iso(r.at), "message": r.message,
         "user": r.user, "data": r.data}
        for r in rows
    ]
