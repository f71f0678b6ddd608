"""A twin connected to the outside world: a PLC in the loop and/or the twin served as an OPC UA server.

``TwinLink`` wraps a ``Simulator`` for one run. ``open()`` starts the twin's OPC UA server (if asked) and then
attaches an ``OpcUaIO`` built from the document's endpoints and bindings and opens it, which connects every
endpoint and validates every binding: any problem raises one ``PortIOError`` listing them all and leaves
nothing open (the run never starts half-bound). ``run()`` ticks paced to the wall clock; ``status()`` is a
JSON-able health snapshot (I/O state, reconnects, seconds degraded, read/write ms, binding errors, overruns,
lateness, the quality of the PLC reads, dropped writes and whether the run has been degraded at all);
``close()`` releases everything and is safe to call twice.

Served twin: every port is published after every tick (``Simulator.set_publisher``, one ``itemgetter`` call
per tick; the server coalesces), and a client write to an input becomes a force on that port. A port that is
both bound and forced follows the force (the simulator skips forced ports when it applies read bindings). With a
PLC in the loop the ports fed by read bindings are published with their quality: a held (stale) value as
UncertainLastUsableValue, one the PLC answered Bad for as BadNoCommunication.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.engine._exceptions import ModelError, PortIOError
from app.engine.clock import WallClock
from app.engine.hil.client import OpcUaIO
from app.engine.hil.server import TWIN_NAMESPACE_URI, PortDescriptor, TwinServer, TwinServerError, TwinServerSecurity
from app.engine.io import EndpointSpec, PortIO, is_degraded
from app.engine.simulator import Simulator

__all__ = [
    "PASSWORD_ENV_PREFIX",
    "TWIN_NAMESPACE_URI",
    "TwinLink",
    "TwinServerError",
    "TwinServerSecurity",
    "password_env_var",
    "port_descriptors",
    "with_env_passwords",
]

PASSWORD_ENV_PREFIX = "DTWIN_PASSWORD_"

ClientForce = Callable[[str, Any], None]


def password_env_var(endpoint_name: str) -> str:
    """The environment variable that may hold an endpoint's password: ``DTWIN_PASSWORD_<NAME>`` (upper case,
    every character other than A-Z and 0-9 replaced by ``_``), e.g. ``plc-1`` -> ``DTWIN_PASSWORD_PLC_1``."""
    return PASSWORD_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", endpoint_name.upper())


def with_env_passwords(
    endpoints: Sequence[EndpointSpec], environ: Mapping[str, str] | None = None
) -> list[EndpointSpec]:
    """Endpoints whose password comes from ``DTWIN_PASSWORD_<NAME>`` when that variable is set (it wins)."""
    env = os.environ if environ is None else environ
    out = []
    for e in endpoints:
        password = env.get(password_env_var(e.name))
        out.append(replace(e, password=password) if password is not None else e)
    return out


def port_descriptors(sim: Simulator) -> list[PortDescriptor]:
    """Every port of the simulator's plan, in ``port_names()`` order, with its current value as initial value."""
    snapshot = sim.snapshot()
    out = []
    for name in sim.plan.port_names():
        comp, port = name.split(".", 1)
        c = sim.plan.by_name[comp]
        direction = "output" if port in c.output_slots else "input"
        out.append(PortDescriptor(comp, port, direction, sim.plan.port_types[name], snapshot[name]))
    return out


class TwinLink:
    """One run's connections: the PLC(s) in the loop (``hil``) and the twin's own OPC UA server (``server_port``,
    on ``server_host``; beyond loopback only with ``server_security``, whose certificate is kept in ``data_dir``)."""

    def __init__(
        self,
        sim: Simulator,
        *,
        hil: bool = True,
        endpoints: Sequence[EndpointSpec] | None = None,
        data_dir: Path | str | None = None,
        on_disconnect: str = "continue",
        server_port: int | None = None,
        server_host: str = "127.0.0.1",
        server_security: TwinServerSecurity | None = None,
        time_scale: float = 1.0,
        on_client_force: ClientForce | None = None,
        io_factory: Callable[..., PortIO] | None = None,
        trust_new_certificates: bool = False,
        **io_options: Any,
    ) -> None:
        if on_disconnect not in ("continue", "stop"):
            raise ValueError("on_disconnect must be 'continue' or 'stop'")
        self.sim = sim
        self.hil = hil
        self.endpoints = list(sim.plan.doc.endpoints if endpoints is None else endpoints)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.trust_new_certificates = trust_new_certificates  # a PLC certificate never seen before (security.py)
        self.on_disconnect = on_disconnect
        self.server_port = server_port
        self.server_host = server_host
        self.server_security = server_security
        self.clock = WallClock(time_scale)
        self.on_client_force = on_client_force
        self.io_factory = io_factory or OpcUaIO
        self.io_options = io_options
        self.io: PortIO | None = None
        self.server: TwinServer | None = None
        self.client_forces = 0
        self._opened = False
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Serve the twin (if asked), then connect and validate every binding (if HIL); all or nothing."""
        if self._opened:
            raise RuntimeError("TwinLink.open() can only be called once")
        self._opened = True
        try:
            if self.server_port is not None:
                self._start_server()
            if self.hil:
                self._open_io()
        except BaseException:
            self.close()
            raise

    def _open_io(self) -> None:
        doc = self.sim.plan.doc
        if not doc.bindings:
            raise PortIOError(
                "hardware-in-the-loop needs bindings: the model binds no port to an OPC UA node",
                [{"reason": "the model has no bindings"}],
            )
        kwargs: dict[str, Any] = {"on_disconnect": self.on_disconnect, **self.io_options}
        if self.io_factory is OpcUaIO:
            kwargs["data_dir"] = self.data_dir
            kwargs["trust_new_certificates"] = self.trust_new_certificates
        self.io = self.io_factory(self.endpoints, **kwargs)
        self.sim.io = self.io
        try:
            self.sim.open_io()
        except BaseException:
            self.sim.io = None
            raise

    def _start_server(self) -> None:
        sim = self.sim
        # The ports a PortIO will feed (its own or one attached already, as the CLI does) carry a quality.
        fed = self.hil or sim.io is not None
        quality_ports = [b.port for b in sim.plan.doc.bindings if b.direction == "read"] if fed else []
        server = TwinServer(
            sim.plan.doc.name,
            port_descriptors(sim),
            port=self.server_port,
            on_input_write=self._client_wrote,
            host=self.server_host,
            security=self.server_security,
            data_dir=self.data_dir,
            quality_ports=quality_ports,
        )
        server.start()
        self.server = server
        sim.set_publisher(server.update, quality=bool(quality_ports))

    def _client_wrote(self, component: str, port: str, value: Any) -> None:
        """A client wrote an input of the served twin: it holds like a force (runs on the server thread)."""
        ref = f"{component}.{port}"
        try:
            self.sim.force(ref, value)
        except ModelError:
            return
        self.client_forces += 1
        if self.on_client_force is not None:
            self.on_client_force(ref, value)

    def close(self) -> None:
        """Close the PLC connections and stop serving; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.io is not None and self.sim.io is self.io:
            self.sim.close_io()
        elif self.io is not None:
            self.io.close()
        if self.server is not None:
            self.sim.set_publisher(None)
            self.server.stop()

    def __enter__(self) -> TwinLink:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ running and health

    def run(
        self,
        ticks: int | None = None,
        duration: float | None = None,
        on_tick: Callable[[Simulator], None] | None = None,
        progress_every: int = 0,
    ) -> None:
        """Tick paced to the wall clock (at ``time_scale``) until done or ``sim.stop_requested``."""
        if not self._opened:
            self.open()
        self.sim.run(ticks=ticks, duration=duration, clock=self.clock, on_tick=on_tick, progress_every=progress_every)

    @property
    def server_url(self) -> str | None:
        return self.server.url if self.server is not None else None

    @property
    def io_state(self) -> str | None:
        """connecting | connected | degraded | failed | closed, or None without a PLC in the loop."""
        return self.io.stats().get("state") if self.io is not None else None

    def status(self) -> dict[str, Any]:
        """I/O health (state, reconnects, seconds degraded, read/write ms, binding errors, read quality, dropped
        writes, ``degraded``), pacing, served twin."""
        out: dict[str, Any] = {
            "on_disconnect": self.on_disconnect if self.hil else None,
            "overruns": self.clock.overruns,
            "mean_lateness": self.clock.mean_lateness,
            "max_lateness": self.clock.max_lateness,
        }
        if self.io is not None:
            stats = self.io.stats()
            out.update(
                state=stats.get("state"),
                reconnects=stats.get("reconnects", 0),
                seconds_degraded=stats.get("seconds_degraded", 0.0),
                read_ms=stats.get("read_ms"),
                write_ms=stats.get("write_ms"),
                binding_errors=stats.get("binding_errors", []),
                endpoints=stats.get("endpoints", {}),
                dropped_writes=stats.get("dropped_writes", 0),
                quality=self.sim.read_quality(),
            )
            out["degraded"] = is_degraded(out)
        if self.server is not None:
            out["opcua_server"] = {**self.server.stats(), "client_forces": self.client_forces}
        return out
