"""Small builders shared by the engine tests: one-component models, traces and driven inputs."""

from __future__ import annotations

from typing import Any, Sequence

from app.engine import ModelDocument, Simulator, parse_document


def model(components: Sequence[dict[str, Any]], connections: Sequence[tuple[str, str]] = (), dt: float = 0.1,
          name: str = "test") -> ModelDocument:
    """Parse a document from compact component dicts and (from, to) pairs."""
    return parse_document({
        "name": name,
        "dt": dt,
        "components": list(components),
        "connections": [{"from": a, "to": b} for a, b in connections],
    })


def comp(name: str, type_: str, inputs: dict[str, Any] | None = None, **parameters: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": type_, "parameters": parameters}
    if inputs:
        spec["inputs"] = inputs
    return spec


def trace(doc: ModelDocument, ports: Sequence[str], ticks: int, *, dt: float | None = None,
          seed: int = 0) -> dict[str, list[Any]]:
    """Value of each port at every tick 0..ticks-1 (outputs as computed in that tick)."""
    sim = Simulator(doc, dt=dt, seed=seed, record=list(ports))
    sim.run(ticks=ticks)
    rec = sim.recording
    assert rec is not None
    columns = {p: [row[i] for row in rec.rows] for i, p in enumerate(rec.ports)}
    return {p: columns[p] for p in ports}


def drive(type_: str, sequences: dict[str, Sequence[Any]], outputs: Sequence[str], *, dt: float = 0.1,
          inputs: dict[str, Any] | None = None, **parameters: Any) -> dict[str, list[Any]]:
    """One component alone; its inputs take the given value at each tick (by forcing the input port)."""
    given = {port: values[0] for port, values in sequences.items()}
    doc = model([comp("c", type_, {**given, **(inputs or {})}, **parameters)], dt=dt)
    sim = Simulator(doc)
    ticks = len(next(iter(sequences.values())))
    out: dict[str, list[Any]] = {o: [] for o in outputs}
    for k in range(ticks):
        for port, values in sequences.items():
            sim.force(f"c.{port}", values[k])
        sim.step()
        for o in outputs:
            out[o].append(sim.value(f"c.{o}"))
    return out
