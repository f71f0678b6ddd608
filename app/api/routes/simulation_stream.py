"""The live stream of a simulation run (WebSocket); the protocol is in ``STREAM_PROTOCOL`` and on /docs."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, WebSocket
from sqlalchemy import select

from app.api.deps import SettingsDep
from app.api.security import websocket_principal
from app.core.errors import AppError
from app.db.runs import SimulationRun
from app.db.session import get_session_factory
from app.services import run_stream
from app.services.run_manager import RunManager

router = APIRouter(prefix="/simulations", tags=["simulations"])

STREAM_PROTOCOL = """
**Live stream**: `WebSocket /api/v1/simulations/{id}/stream?ports=tank.*,heater.power&hz=20`
(WebSocket routes are not listed below; this is the protocol).

- `ports`: comma-separated globs over `component.port` names (default: every port; each glob must match
  a port); `hz`: highest frame rate, 1..100 (default 20). Invalid: close code 4422 with the reason.
  Unknown run: close code 4404, reason `simulation run N not found`.
- Authentication (once users exist): the session cookie, `Authorization: Bearer ...`, or `?token=` (browsers
  cannot set headers on a WebSocket). A run of a project the caller does not
  belong to, close exactly like an unknown run (4404). Missing or invalid credentials: close code 4401.
- Server → client, JSON text:
  1. `{"type": "schema", "run_id", "model_name", "model_hash", "dt", "status", "ports": [{"name", "component",
     "port", "direction", "data_type", "unit"}]}` first (and again after a `subscribe`, or when a live model
     edit changes the ports): the order of the values in every frame.
  2. `{"type": "status", ...}`: the same object as `GET /simulations/{id}/status`, after the schema, when
     the status changes and about once a second while the run is active.
  3. `{"type": "io", ...}`: the run's `io` (HIL runs and served twins), on connect and when it changes.
  4. `{"type": "event", "seq", "kind", "tick", "t", "at", "message", "data"}`: first the run's past events,
     then new ones (the objects of `GET /simulations/{id}/events`).
  5. `{"type": "frame", "seq": n, "tick": k, "t": sim_time, "v": [values in schema order], "forced": [indices],
     "faulted": [indices]}` (flag lists omitted when empty); every value of a frame is from the same tick;
     bools are true/false, NaN and infinities null.
- Client → server: `{"type": "ack", "seq": n}` after each frame: the server keeps at most 2 frames
  unacknowledged and then sends the newest values, never a backlog (a slow client skips frames and stays
  live). `{"type": "subscribe", "ports": ["tank.*"]}` picks new ports: a new schema follows, then frames in
  the new order.
- When the run ends: a final frame with the final values, the final status, then close code 1000. A run that
  has already ended: schema, one frame of its final values, its events, its final status, close 1000.
  A client that does not take a message within 5 s is dropped.
"""


CLOSE_UNAUTHORIZED = 4401


def _may_watch(websocket: WebSocket, database_url: str, run_id: int) -> str:
    """``ok`` if the client is signed in (cookie, bearer header or ``?token=``) and sees the run; ``unauthorized``
    without valid credentials; ``hidden`` for a run of another project (answered exactly like an unknown run)."""
    with get_session_factory(database_url)() as session:
        try:
            principal = websocket_principal(websocket, session, database_url)
        except AppError:
            return "unauthorized"
        if principal.local:
            return "ok"
        project_id = session.scalar(select(SimulationRun.project_id).where(SimulationRun.id == run_id))
        session.commit()
        return "ok" if principal.role_in(project_id) is not None else "hidden"


@router.websocket("/{run_id}/stream")
async def simulation_stream(
    websocket: WebSocket, run_id: int, settings: SettingsDep, ports: str | None = None, hz: str | None = None
) -> None:
    """Stream a run's values, status, events and I/O health (protocol: ``STREAM_PROTOCOL``)."""
    verdict = await anyio.to_thread.run_sync(_may_watch, websocket, settings.database_url, run_id)
    if verdict != "ok":
        await websocket.accept()
        if verdict == "unauthorized":
            await websocket.close(CLOSE_UNAUTHORIZED, "sign in first: session cookie, Authorization: Bearer or ?token=")
        else:
            await websocket.close(run_stream.CLOSE_NOT_FOUND, f"simulation run {run_id} not found")
        return
    state = websocket.app.state
    manager: RunManager = state.run_manager
    hubs = getattr(state, "stream_hubs", None)
    if hubs is None:
        hubs = state.stream_hubs = run_stream.StreamHubs()
    await run_stream.serve(websocket, run_id, manager, hubs, settings.database_url, ports, hz)


simulation_stream.__doc__ = f"{simulation_stream.__doc__}\n{STREAM_PROTOCOL}"
