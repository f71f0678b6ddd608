"""The live stream of a simulation run over a WebSocket: schema, frames with credit, status, events, io.

Where the work happens:

- **Tick thread**: nothing, unless a client is connected. Then one tick hook (``Simulator.add_tick_hook``)
  checks a flag; when the hub has asked for a sample it copies the value list (one ``list[:]``) with the
  tick, the plan and the forced/faulted ports *at that tick boundary*, and hands it to the event loop
  (``call_soon_threadsafe``). All values of a frame therefore come from one tick. No JSON here.
- **Event loop** (uvicorn's): one ``RunHub`` per run with clients. It asks for a sample at the highest rate
  any client wants and encodes each sample once per distinct port set (the frame body after ``seq``), so
  twenty clients of the same ports cost one encoding per tick plus twenty sends.
- **Credit**: a client has at most ``MAX_IN_FLIGHT`` unacknowledged frames. Without credit it is skipped;
  when its ack arrives it gets the newest sample, never a backlog. A frame waiting to be sent is replaced
  by a newer one. A send that takes longer than ``SEND_TIMEOUT`` drops the client.

Close codes: 1000 when the run has ended (after the final frame and status), 4404 unknown run, 4422 bad
``ports``/``hz`` or a ``subscribe`` naming no port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from typing import Any

import anyio
from starlette.websockets import WebSocket, WebSocketState

from app.db.runs import SimulationRun
from app.db.session import get_session_factory
from app.engine import Plan, Simulator
from app.schemas.simulations import SimulationRead
from app.services.run_events import stored_events
from app.services.run_manager import RunHandle, RunManager, port_schema
from app.services.run_stream_frames import (
    CLOSE_NORMAL,
    CLOSE_NOT_FOUND,
    HZ_DEFAULT,
    PortSet,
    Sample,
    StreamError,
    dumps,
    frame_body,
    parse_query,
    select_ports,
)
from app.services.simulations import with_live_counters

__all__ = ["MAX_IN_FLIGHT", "SEND_TIMEOUT", "StreamHubs", "serve"]

logger = logging.getLogger(__name__)

MAX_IN_FLIGHT = 2  # unacknowledged frames per client
SEND_TIMEOUT = 5.0  # seconds a send may take before the client is considered dead
STATUS_INTERVAL = 1.0  # seconds between status messages while the run is active
_FRAME = object()  # marks the place of the pending frame in a client's queue
_CLOSE = object()


# ---------------------------------------------------------------------------------------------- clients


class Client:
    """One WebSocket: what it asked for, its credit, and its outgoing queue (frames replace each other)."""

    def __init__(self, ws: WebSocket, patterns: list[str], hz: float) -> None:
        self.ws = ws
        self.patterns = patterns
        self.interval = 1.0 / hz
        self.portset: PortSet | None = None
        self.seq = 0  # frames sent
        self.acked = 0
        self.last_tick = -1
        self.next_due = 0.0
        self.starved = False
        self.out: deque[Any] = deque()
        self.frame: str | None = None  # the body of the frame waiting in ``out``
        self.wake = asyncio.Event()
        self.live = False  # frames may be offered (after the schema and the replayed events)

    def push(self, text: str) -> None:
        self.out.append(text)
        self.wake.set()

    def push_frame(self, body: str, tick: int) -> None:
        if self.frame is None:
            self.out.append(_FRAME)
        self.frame = body
        self.last_tick = tick
        self.wake.set()

    def close_normally(self) -> None:
        self.live = False
        self.out.append(_CLOSE)
        self.wake.set()

    @property
    def in_flight(self) -> int:
        return self.seq - self.acked + (self.frame is not None)

    def offer(self, sample: Sample, now: float) -> None:
        """Queue this sample as the next frame if it is new, the client has credit and its rate allows."""
        if not self.live or self.portset is None or sample.tick <= self.last_tick:
            return
        if self.frame is None and self.in_flight >= MAX_IN_FLIGHT:
            self.starved = True
            return
        if now < self.next_due:
            return
        self.starved = False
        self.next_due = max(self.next_due, now - self.interval) + self.interval
        self.push_frame(self.portset.body(sample), sample.tick)

    async def send_loop(self) -> None:
        """Send the queue in order; a frame gets its ``seq`` as it goes out. Returns after a normal close."""
        ws = self.ws
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.out:
                item = self.out.popleft()
                if item is _CLOSE:
                    async with asyncio.timeout(SEND_TIMEOUT):
                        await ws.close(CLOSE_NORMAL)
                    return
                if item is _FRAME:
                    if self.frame is None:
                        continue
                    self.seq += 1
                    text = f'{{"type":"frame","seq":{self.seq}{self.frame}'
                    self.frame = None
                else:
                    text = item
                async with asyncio.timeout(SEND_TIMEOUT):
                    await ws.send_text(text)


# ---------------------------------------------------------------------------------------------- a run's hub


class RunHub:
    """The clients of one active run, in one event loop: sampling, encoding, status, events."""

    def __init__(self, hubs: dict[tuple[int, int], RunHub], key: tuple[int, int], handle: RunHandle,
                 row: dict[str, Any]) -> None:
        self._hubs, self._key = hubs, key
        self.handle = handle
        self.sim = handle.sim
        self.row = row
        self.loop = asyncio.get_running_loop()
        self.clients: set[Client] = set()
        self.portsets: dict[tuple[str, ...], PortSet] = {}
        self.plan = self.sim.plan
        self.latest: Sample | None = None
        self.final: Sample | None = None
        self.ended = False
        self._want = False
        self._events: list[str] = []
        self._status = ""
        self._io = ""
        self._hooked = False
        self._tasks: list[asyncio.Task[None]] = []
        past = handle.events.subscribe(self._event_from_thread)
        self._events = [self._event_json(e) for e in past]
        if any(e["kind"] == "finished" for e in past):
            self._finish()

    # --------------------------------------------------------------------------- thread side

    def _tick_hook(self, sim: Simulator) -> None:
        # Runs in the tick thread after every tick while clients are connected: keep it to a flag test.
        if self._want:
            self._want = False
            sample = Sample(sim)
            with contextlib.suppress(RuntimeError):  # the loop has closed (server shutting down)
                self.loop.call_soon_threadsafe(self._on_sample, sample)

    def _event_from_thread(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._on_event, event)

    # --------------------------------------------------------------------------- loop side

    @staticmethod
    def _event_json(event: dict[str, Any]) -> str:
        return dumps({"type": "event", **event})

    def _status_json(self) -> str:
        fields = with_live_counters(self.row, self.handle)
        return '{"type":"status",' + SimulationRead.model_validate(fields).model_dump_json()[1:]

    def _io_json(self) -> str:
        io = self.handle.io_status()
        return "" if io is None else dumps({"type": "io", **io})

    def _broadcast(self, text: str) -> None:
        for client in self.clients:
            if client.live:
                client.push(text)

    def _send_status(self) -> None:
        self._status = self._status_json()
        self._broadcast(self._status)
        io = self._io_json()
        if io and io != self._io:
            self._io = io
            self._broadcast(io)

    def _on_event(self, event: dict[str, Any]) -> None:
        text = self._event_json(event)
        self._events.append(text)
        self._broadcast(text)
        if event["kind"] == "finished":
            self._finish()
        elif event["kind"] in ("started", "time_scale", "io_disconnected", "io_reconnected"):
            self._send_status()

    def _finish(self) -> None:
        """The run has stopped ticking: final frame and final status to everyone, then close."""
        if self.ended:
            return
        self.ended = True
        self.final = Sample(self.sim)  # the tick loop has returned: the values no longer change
        self._status = self._status_json()
        for client in list(self.clients):
            self._end_client(client)
        self._stop_sampling()

    def _end_client(self, client: Client) -> None:
        if client.portset is not None and self.final is not None:
            client.push_frame(client.portset.body(self.final), self.final.tick)
        client.push(self._status)
        client.close_normally()

    def _on_sample(self, sample: Sample) -> None:
        if self.ended:
            return
        if sample.plan is not self.plan:
            self._replan(sample.plan)
        self.latest = sample
        now = self.loop.time()
        for client in self.clients:
            client.offer(sample, now)

    def _replan(self, plan: Plan) -> None:
        """A live model edit changed the graph: clients whose ports changed get a new schema."""
        self.plan = plan
        names = plan.port_names()
        for client in self.clients:
            try:
                selected = select_ports(names, client.patterns)
            except StreamError:
                selected = ()
            if client.portset is None or selected != client.portset.names:
                self._subscribe(client, selected)

    def _portset(self, names: tuple[str, ...]) -> PortSet:
        portset = self.portsets.get(names)
        if portset is None:
            portset = self.portsets[names] = PortSet(names)
        return portset

    def _schema_json(self, names: tuple[str, ...]) -> str:
        chosen = set(names)
        return dumps({
            "type": "schema",
            "run_id": self.row["id"],
            "model_name": self.row["model_name"],
            "model_hash": self.row["model_hash"],
            "dt": self.sim.dt,
            "status": with_live_counters(self.row, self.handle)["status"],
            "ports": [p for p in port_schema(self.plan) if p["name"] in chosen],
        })

    def _subscribe(self, client: Client, names: tuple[str, ...]) -> None:
        client.portset = self._portset(names)
        client.out = deque(x for x in client.out if x is not _FRAME)
        client.frame = None
        client.last_tick = -1
        client.push(self._schema_json(names))
        unused = set(self.portsets) - {c.portset.names for c in self.clients if c.portset is not None}
        for key in unused:
            del self.portsets[key]
        if self.latest is not None and not self.ended:
            client.offer(self.latest, self.loop.time())

    def join(self, client: Client) -> None:
        """Schema, status, io, the events so far; then frames (or, if the run has ended, its final frame)."""
        names = select_ports(self.plan.port_names(), client.patterns)
        self.clients.add(client)
        client.portset = self._portset(names)
        client.push(self._schema_json(names))
        if self.ended:
            self._end_client_after_events(client)
            return
        client.push(self._status or self._status_json())
        io = self._io or self._io_json()
        if io:
            client.push(io)
        for text in self._events:
            client.push(text)
        client.live = True
        self._start_sampling()
        if self.latest is not None:
            client.offer(self.latest, self.loop.time())

    def _end_client_after_events(self, client: Client) -> None:
        if client.portset is not None and self.final is not None:
            client.push_frame(client.portset.body(self.final), self.final.tick)
        for text in self._events:
            client.push(text)
        client.push(self._status)
        client.close_normally()

    def subscribe(self, client: Client, patterns: list[str]) -> None:
        names = select_ports(self.plan.port_names(), patterns)
        client.patterns = patterns
        self._subscribe(client, names)

    def ack(self, client: Client, seq: int) -> None:
        client.acked = max(client.acked, min(seq, client.seq))
        if client.starved and self.latest is not None and not self.ended:
            client.offer(self.latest, self.loop.time())

    def leave(self, client: Client) -> None:
        self.clients.discard(client)
        if self.clients:
            return
        self._stop_sampling()
        self.handle.events.unsubscribe(self._event_from_thread)
        if self._hubs.get(self._key) is self:
            del self._hubs[self._key]

    # --------------------------------------------------------------------------- sampling

    def _start_sampling(self) -> None:
        if self._hooked or self.ended:
            return
        self._hooked = True
        self.sim.add_tick_hook(self._tick_hook)
        self._tasks = [asyncio.create_task(self._sampler()), asyncio.create_task(self._status_ticker())]

    def _stop_sampling(self) -> None:
        if self._hooked:
            self._hooked = False
            self.sim.remove_tick_hook(self._tick_hook)
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    async def _sampler(self) -> None:
        """Ask the tick thread for a sample at the highest rate any client wants."""
        next_at = self.loop.time()
        while True:
            self._want = True
            interval = min((c.interval for c in self.clients), default=1.0 / HZ_DEFAULT)
            next_at = max(next_at + interval, self.loop.time())
            await asyncio.sleep(next_at - self.loop.time())

    async def _status_ticker(self) -> None:
        while True:
            await asyncio.sleep(STATUS_INTERVAL)
            self._send_status()


# ---------------------------------------------------------------------------------------------- entry point


class StreamHubs:
    """The hubs of one application (stored on ``app.state``), keyed by run handle and event loop."""

    def __init__(self) -> None:
        self.hubs: dict[tuple[int, int], RunHub] = {}

    def hub(self, handle: RunHandle, row: dict[str, Any]) -> RunHub:
        key = (id(handle), id(asyncio.get_running_loop()))
        hub = self.hubs.get(key)
        if hub is None:
            hub = self.hubs[key] = RunHub(self.hubs, key, handle, row)
        return hub


def _load(database_url: str, run_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The run's row as a dict and, for a run that has ended, its stored events; None if there is no such run."""
    with get_session_factory(database_url)() as session:
        run = session.get(SimulationRun, run_id)
        if run is None:
            return None
        row = {column.key: getattr(run, column.key) for column in SimulationRun.__table__.columns}
        return row, stored_events(session, run_id)


def _ended_messages(row: dict[str, Any], events: list[dict[str, Any]], patterns: list[str]) -> list[str]:
    """Schema, final frame, events and status of a run that has ended (from its row)."""
    final = row.get("final_values") or {}
    values: dict[str, Any] = final.get("values") or {}
    ports = final.get("ports") or [
        {"name": name, "component": name.split(".", 1)[0], "port": name.split(".", 1)[-1], "direction": None,
         "data_type": "bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float", "unit": None}
        for name, v in values.items()
    ]
    names = select_ports([p["name"] for p in ports], patterns) if ports else ()
    chosen = set(names)
    out = [dumps({"type": "schema", "run_id": row["id"], "model_name": row["model_name"],
                   "model_hash": row["model_hash"], "dt": row["dt"], "status": row["status"],
                   "ports": [p for p in ports if p["name"] in chosen]})]
    if values:
        tick = int(final.get("tick", row["tick"]))
        forced = final.get("forced") or {}
        body = frame_body(tick, tick * row["dt"], [values.get(n) for n in names],
                           [i for i, n in enumerate(names) if n in forced], [])
        out.append('{"type":"frame","seq":1' + body)
    out.extend(dumps({"type": "event", **e}) for e in events)
    out.append('{"type":"status",' + SimulationRead.model_validate(with_live_counters(row, None)).model_dump_json()[1:])
    return out


async def serve(ws: WebSocket, run_id: int, manager: RunManager, hubs: StreamHubs, database_url: str,
                ports: str | None, hz: str | None) -> None:
    """Run one client's stream until the run ends, the client leaves or stops answering."""
    await ws.accept()
    try:
        patterns, rate = parse_query(ports, hz)
        loaded = await anyio.to_thread.run_sync(_load, database_url, run_id)
        if loaded is None:
            raise StreamError(CLOSE_NOT_FOUND, f"simulation run {run_id} not found")
        row, stored = loaded
        handle = manager.get(run_id)
        if handle is None:
            for text in _ended_messages(row, stored, patterns):
                await ws.send_text(text)
            await ws.close(CLOSE_NORMAL)
            return
        client = Client(ws, patterns, rate)
        hub = hubs.hub(handle, row)
        hub.join(client)
    except StreamError as exc:
        await ws.close(exc.code, exc.reason)
        return
    sender = asyncio.create_task(client.send_loop())
    receiver = asyncio.create_task(_receive_loop(hub, client))
    try:
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            failure = task.exception()
            if isinstance(failure, StreamError):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(SEND_TIMEOUT):
                        await ws.close(failure.code, failure.reason)
            elif isinstance(failure, TimeoutError):
                logger.info("stream client of run %s dropped: a send took over %g s", run_id, SEND_TIMEOUT)
    finally:
        for task in (sender, receiver):
            task.cancel()
        hub.leave(client)
        if ws.application_state == WebSocketState.CONNECTED and sender.done() and not sender.cancelled():
            failure = sender.exception()
            if failure is not None and not isinstance(failure, StreamError):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await ws.close(1011)


async def _receive_loop(hub: RunHub, client: Client) -> None:
    """Acks and subscriptions from the client; returns when it disconnects."""
    ws = client.ws
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        kind = data.get("type")
        if kind == "ack" and isinstance(data.get("seq"), int):
            hub.ack(client, data["seq"])
        elif kind == "subscribe":
            raw = data.get("ports")
            patterns = [p for p in raw if isinstance(p, str) and p.strip()] if isinstance(raw, list) else []
            if isinstance(raw, str):
                patterns = [p.strip() for p in raw.split(",") if p.strip()]
            hub.subscribe(client, patterns)  # StreamError (no port matches) closes with 4422
