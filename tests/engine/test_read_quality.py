"""Quality of the values read bindings deliver: recorded next to the port, counted, published (no network)."""

from __future__ import annotations

from typing import Any

from app.engine import InMemoryIO, Simulator, parse_document
from app.engine.io import BAD, GOOD, STALE


def document() -> dict[str, Any]:
    """plc -> fb.in (Gain 1); cmd.out -> plc."""
    return {
        "schema_version": 1,
        "name": "quality",
        "dt": 0.1,
        "components": [
            {"name": "cmd", "type": "Constant", "parameters": {"value": 1.5}},
            {"name": "fb", "type": "Gain", "inputs": {"in": 0.0}},
        ],
        "connections": [],
        "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:1"}],
        "bindings": [
            {"port": "cmd.out", "endpoint": "plc", "node_id": "ns=2;s=Cmd", "direction": "write"},
            {"port": "fb.in", "endpoint": "plc", "node_id": "ns=2;s=Fb", "direction": "read"},
        ],
    }


class GappyIO(InMemoryIO):
    """InMemoryIO whose node values may be removed (a gap: stale) or flagged Bad."""

    def __init__(self, nodes: dict[str, Any]) -> None:
        super().__init__(nodes)
        self.bad: set[int] = set()

    def read(self) -> list[Any]:
        values = super().read()
        return [None if i in self.bad else v for i, v in enumerate(values)]

    def bad_reads(self) -> set[int]:
        return set(self.bad)


def column(sim: Simulator, port: str) -> list[Any]:
    rec = sim.recording
    assert rec is not None
    i = rec.ports.index(port)
    return [row[i] for row in rec.rows]


def test_the_quality_column_follows_its_port_and_marks_held_values_stale() -> None:
    io = GappyIO({"ns=2;s=Fb": 2.0})
    sim = Simulator(parse_document(document()), io=io, record=["*"])
    sim.open_io()
    sim.run(ticks=3)
    del io.nodes["ns=2;s=Fb"]  # no fresh value: the twin holds 2.0
    sim.run(ticks=2)
    io.nodes["ns=2;s=Fb"] = 4.0
    sim.run(ticks=2)
    rec = sim.recording
    assert rec is not None
    assert rec.ports[rec.ports.index("fb.in") + 1] == "fb.in:quality"
    assert "cmd.out:quality" not in rec.ports  # write bindings have no quality
    assert column(sim, "fb.in") == [2.0, 2.0, 2.0, 2.0, 2.0, 4.0, 4.0]
    assert column(sim, "fb.in:quality") == [GOOD, GOOD, GOOD, STALE, STALE, GOOD, GOOD]
    quality = sim.read_quality()
    assert quality["ticks"] == 7 and quality["stale"] == 2 and quality["bad"] == 0
    assert quality["degraded_ticks"] == 2 and abs(quality["degraded_time"] - 0.2) < 1e-12
    assert quality["bindings"][0]["port"] == "fb.in" and quality["bindings"][0]["stale_ratio"] == 2 / 7


def test_an_adapter_reporting_a_bad_status_marks_the_sample_bad() -> None:
    io = GappyIO({"ns=2;s=Fb": 2.0})
    sim = Simulator(parse_document(document()), io=io, record=["fb.*"])
    sim.open_io()
    sim.run(ticks=1)
    io.bad = {0}
    sim.run(ticks=2)
    io.bad = set()
    sim.run(ticks=1)
    assert column(sim, "fb.in:quality") == [GOOD, BAD, BAD, GOOD]
    quality = sim.read_quality()
    assert (quality["stale"], quality["bad"], quality["bad_ratio"]) == (0, 2, 0.5)


def test_a_forced_read_port_is_good_whatever_the_plc_delivers() -> None:
    io = GappyIO({})
    sim = Simulator(parse_document(document()), io=io, record=["fb.in"])
    sim.open_io()
    sim.run(ticks=1)
    sim.force("fb.in", 3.0)
    sim.run(ticks=2)
    assert column(sim, "fb.in:quality") == [STALE, GOOD, GOOD]
    assert sim.read_quality()["stale"] == 1


def test_without_a_port_io_nothing_is_marked() -> None:
    sim = Simulator(parse_document(document()), record=["*"])
    sim.run(ticks=2)
    assert sim.recording is not None and not any(p.endswith(":quality") for p in sim.recording.ports)
    assert sim.read_quality()["samples"] == 0


def test_the_publisher_gets_the_qualities_after_the_ports() -> None:
    io = GappyIO({})
    sim = Simulator(parse_document(document()), io=io)
    published: list[tuple[Any, ...]] = []
    sim.set_publisher(published.append, quality=True)
    sim.open_io()
    sim.run(ticks=1)
    io.nodes["ns=2;s=Fb"] = 1.0
    sim.run(ticks=1)
    ports = len(sim.port_names())
    assert sim.read_ports() == ["fb.in"]
    assert [p[ports:] for p in published] == [(STALE,), (GOOD,)]
