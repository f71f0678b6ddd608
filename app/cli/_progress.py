"""A one-line progress bar for long CLI runs, drawn only when the stream is a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """Redraws ``[#####.....]  42%  t=4.2/10 s  12,345 ticks/s`` in place; silent when not a TTY."""

    WIDTH = 30

    def __init__(self, stream: TextIO, total_ticks: int, dt: float, *, enabled: bool | None = None,
                 min_interval: float = 0.1) -> None:
        self.stream = stream
        self.total = max(1, total_ticks)
        self.dt = dt
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.min_interval = min_interval
        self._started = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, tick: int, *, force: bool = False) -> None:
        """Redraw for ``tick`` if enough wall time passed since the last redraw (or ``force``)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        fraction = min(1.0, tick / self.total)
        filled = int(fraction * self.WIDTH)
        elapsed = now - self._started
        rate = tick / elapsed if elapsed > 0 else 0.0
        line = (f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction * 100:5.1f}%  "
                f"t={tick * self.dt:.6g}/{self.total * self.dt:.6g} s  {rate:,.0f} ticks/s")
        self.stream.write(line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line so later messages start on a fresh one."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
