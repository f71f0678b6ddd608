"""Frames of the live stream: query parsing, port selection, samples taken at a tick boundary, and their
encoding (once per sample and port set; the client's ``seq`` is put in front when the frame is sent).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from operator import itemgetter
from typing import Any

from app.engine import Plan, Simulator
from app.services import simulation_faults

__all__ = [
    "CLOSE_INVALID",
    "CLOSE_NORMAL",
    "CLOSE_NOT_FOUND",
    "HZ_DEFAULT",
    "HZ_MAX",
    "HZ_MIN",
    "PortSet",
    "Sample",
    "StreamError",
    "dumps",
    "frame_body",
    "parse_query",
    "select_ports",
    "values_json",
]

HZ_MIN, HZ_MAX, HZ_DEFAULT = 1.0, 100.0, 20.0
CLOSE_NORMAL, CLOSE_NOT_FOUND, CLOSE_INVALID = 1000, 4404, 4422


class StreamError(Exception):
    """Ends a stream with a close code and a reason (at most 123 bytes, as the protocol allows)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:123].decode(errors="ignore")


# ------------------------------------------------------------------------------------------ query and ports


def parse_query(ports: str | None, hz: str | None) -> tuple[list[str], float]:
    """``ports`` (comma-separated globs; empty: every port) and ``hz`` (1..100, default 20)."""
    rate = HZ_DEFAULT
    if hz is not None and hz != "":
        try:
            rate = float(hz)
        except ValueError:
            rate = math.nan
        if not HZ_MIN <= rate <= HZ_MAX:  # NaN fails too
            raise StreamError(CLOSE_INVALID, f"hz must be a number from {HZ_MIN:g} to {HZ_MAX:g}, not {hz!r}")
    patterns = [p.strip() for p in (ports or "").split(",") if p.strip()]
    return patterns, rate


def select_ports(names: Sequence[str], patterns: Sequence[str]) -> tuple[str, ...]:
    """The names matching any pattern, in model order; every pattern must match a port."""
    if not patterns:
        return tuple(names)
    for pattern in patterns:
        if not any(fnmatchcase(n, pattern) for n in names):
            raise StreamError(CLOSE_INVALID, f"no port matches {pattern!r} (ports are component.port, e.g. tank.*)")
    return tuple(n for n in names if any(fnmatchcase(n, p) for p in patterns))


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


def values_json(values: Sequence[Any]) -> str:
    text = json.dumps(values, separators=(",", ":"))
    if "N" in text or "I" in text:  # NaN / Infinity: not JSON; they go out as null
        text = json.dumps(
            [None if isinstance(v, float) and not math.isfinite(v) else v for v in values], separators=(",", ":")
        )
    return text


def frame_body(tick: int, t: float, values: Sequence[Any], forced: list[int], faulted: list[int]) -> str:
    """A frame after its ``seq``: shared by every client of the same port set."""
    body = f',"tick":{tick},"t":{dumps(t)},"v":{values_json(values)}'
    if forced:
        body += f',"forced":{dumps(forced)}'
    if faulted:
        body += f',"faulted":{dumps(faulted)}'
    return body + "}"


# ---------------------------------------------------------------------------------------------- samples


class Sample:
    """Every value of the model at one tick boundary, taken in the tick thread."""

    __slots__ = ("bodies", "faulted", "forced", "overridden", "plan", "t", "tick", "values")

    def __init__(self, sim: Simulator) -> None:
        self.tick = sim.tick
        self.t = sim.tick * sim.dt
        self.values = sim.values[:]
        self.plan = sim.plan
        forces, transforms = sim._forces, sim._transforms  # read at the boundary, like the values
        self.overridden = (tuple(forces), tuple(transforms))
        self.forced = frozenset(f"{c}.{p}" for c, p in forces) if forces else frozenset()
        self.faulted = frozenset(simulation_faults.faulted_ports(sim))
        self.bodies: dict[PortSet, str] = {}


class PortSet:
    """An ordered selection of ports shared by the clients that asked for it; turns samples into frame bodies."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.index = {name: i for i, name in enumerate(names)}
        self._plan: Plan | None = None
        self._overridden: tuple[tuple[Any, ...], tuple[Any, ...]] = ((), ())
        self._get: Callable[[list[Any]], Any] = lambda v: ()

    def _getter(self, sample: Sample) -> Callable[[list[Any]], Any]:
        if sample.plan is not self._plan or sample.overridden != self._overridden:
            overridden = set(sample.overridden[0]) | set(sample.overridden[1])
            refs = [name.split(".", 1) for name in self.names]
            slots = [sample.plan.read_slot(comp, port, overridden) for comp, port in refs]
            if len(slots) == 1:
                only = slots[0]
                self._get = lambda v: (v[only],)
            else:
                self._get = itemgetter(*slots) if slots else (lambda v: ())
            self._plan, self._overridden = sample.plan, sample.overridden
        return self._get

    def body(self, sample: Sample) -> str:
        body = sample.bodies.get(self)
        if body is None:
            values = self._getter(sample)(sample.values)
            forced = sorted(self.index[n] for n in sample.forced if n in self.index)
            faulted = sorted(self.index[n] for n in sample.faulted if n in self.index)
            body = sample.bodies[self] = frame_body(sample.tick, sample.t, values, forced, faulted)
        return body
