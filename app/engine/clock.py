"""Clocks decide when tick k may start: as fast as possible, or paced to the wall clock.

The paced clock waits for absolute deadlines start + k*dt/time_scale (never "sleep dt" after each
tick, which accumulates drift) and counts overruns (a tick starting more than one step late) and
lateness (how late each tick started). Its time scale can change while it runs: the new pace starts at the
next tick, re-anchored on that tick's deadline, so simulated time never jumps.
"""

from __future__ import annotations

import time
from typing import Protocol

MIN_TIME_SCALE, MAX_TIME_SCALE = 0.1, 100.0


class Clock(Protocol):
    def start(self, dt: float, first_tick: int) -> None: ...

    def wait(self, tick: int) -> None: ...


class FastClock:
    """No pacing: tick as fast as possible."""

    overruns = 0
    max_lateness = 0.0
    mean_lateness = 0.0

    def start(self, dt: float, first_tick: int) -> None:
        pass

    def wait(self, tick: int) -> None:
        pass


class WallClock:
    """Paced to the wall clock at ``time_scale`` (1.0 real time, 10 = ten times faster)."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if not MIN_TIME_SCALE <= time_scale <= MAX_TIME_SCALE:
            raise ValueError(f"time_scale must be within [{MIN_TIME_SCALE}, {MAX_TIME_SCALE}]")
        self.time_scale = time_scale
        self.overruns = 0
        self.max_lateness = 0.0
        self._lateness_sum = 0.0
        self._count = 0
        self._t0 = 0.0
        self._period = 0.0
        self._first = 0
        self._dt = 0.0
        self._rescale: float | None = None  # a new time scale, taken up by the next wait()

    def set_time_scale(self, time_scale: float) -> None:
        """Change the pace from the next tick on (any thread); simulated time continues where it is."""
        if not MIN_TIME_SCALE <= time_scale <= MAX_TIME_SCALE:
            raise ValueError(f"time_scale must be within [{MIN_TIME_SCALE}, {MAX_TIME_SCALE}]")
        self.time_scale = time_scale
        self._rescale = time_scale

    def start(self, dt: float, first_tick: int) -> None:
        self._rescale = None
        self._dt = dt
        self._period = dt / self.time_scale
        self._first = first_tick
        self._t0 = time.perf_counter()

    def _reanchor(self, tick: int) -> None:
        # This tick keeps the deadline it had at the old pace (or now, if that has passed: a backlog at the
        # old pace is not to be caught up at the new one); later ticks follow at the new period.
        scale, self._rescale = self._rescale, None
        if scale is None or not self._dt:
            return
        self._t0 = max(self._t0 + (tick - self._first) * self._period, time.perf_counter())
        self._first = tick
        self._period = self._dt / scale

    def wait(self, tick: int) -> None:
        if self._rescale is not None:
            self._reanchor(tick)
        deadline = self._t0 + (tick - self._first) * self._period
        now = time.perf_counter()
        if now < deadline:
            remaining = deadline - now
            if remaining > 0.002:
                time.sleep(remaining - 0.001)
            while time.perf_counter() < deadline:
                pass
            now = time.perf_counter()
        late = now - deadline
        self._count += 1
        self._lateness_sum += late
        if late > self.max_lateness:
            self.max_lateness = late
        if late > self._period:
            self.overruns += 1

    @property
    def mean_lateness(self) -> float:
        return self._lateness_sum / self._count if self._count else 0.0
