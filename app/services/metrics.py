"""What ``GET /metrics`` reports, gathered at scrape time (Prometheus text format via prometheus-client).

Nothing here runs per tick: run counters, pacing and HIL I/O histograms are read from the run handles when a
scraper asks (the histograms themselves are filled by the OPC UA client, app/engine/hil/_histogram.py), and
run counts by status come from one grouped query per table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.db.runs import SimulationRun
from app.db.scenarios import ScenarioRun
from app.db.session import get_session_factory
from app.services.run_manager import RunManager

logger = logging.getLogger(__name__)


class PlatformCollector(Collector):
    """Runs by status, live pacing of every active simulation run, and HIL I/O per endpoint."""

    def __init__(self, database_url: Callable[[], str], manager: Callable[[], RunManager | None]) -> None:
        self._database_url = database_url
        self._manager = manager

    def collect(self) -> Iterator[Any]:
        yield from self._runs_by_status()
        manager = self._manager()
        yield from self._live(manager.active() if manager is not None else [])

    def _runs_by_status(self) -> Iterator[Any]:
        families = (
            (SimulationRun, GaugeMetricFamily("dtwin_simulation_runs", "Simulation runs by status", labels=["status"])),
            (ScenarioRun, GaugeMetricFamily("dtwin_scenario_runs", "Scenario runs by status", labels=["status"])),
        )
        try:
            with get_session_factory(self._database_url())() as session:
                for table, family in families:
                    rows = session.execute(select(table.status, func.count()).group_by(table.status))
                    for status, count in rows:
                        family.add_metric([status], count)
        except SQLAlchemyError:  # a scrape must not fail because the database hiccups; the gap shows
            logger.warning("metrics: could not count runs", exc_info=True)
            return
        for _table, family in families:
            yield family

    def _live(self, handles: list[Any]) -> Iterator[Any]:
        ticks = CounterMetricFamily("dtwin_run_ticks", "Ticks done by an active run", labels=["run_id"])
        rate = GaugeMetricFamily("dtwin_run_ticks_per_second", "Mean ticks per wall-clock second", labels=["run_id"])
        overruns = CounterMetricFamily(
            "dtwin_run_overruns", "Ticks that started more than a step late (paced runs)", labels=["run_id"]
        )
        lateness = GaugeMetricFamily(
            "dtwin_run_lateness_seconds", "How late ticks started (paced runs)", labels=["run_id", "stat"]
        )
        io = HistogramMetricFamily(
            "dtwin_hil_io_seconds", "Round trip of one batched OPC UA Read or Write per tick",
            labels=["run_id", "endpoint", "direction"],
        )  # fmt: skip
        reconnects = CounterMetricFamily(
            "dtwin_hil_reconnects", "Reconnections to a PLC endpoint", labels=["run_id", "endpoint"]
        )
        connected = GaugeMetricFamily(
            "dtwin_hil_endpoint_connected", "1 while the PLC endpoint is connected", labels=["run_id", "endpoint"]
        )
        for handle in handles:
            run = str(handle.run_id)
            counters = handle.counters()
            ticks.add_metric([run], counters["tick"])
            wall = counters["wall_time"] or 0.0
            rate.add_metric([run], counters["tick"] / wall if wall > 0 else 0.0)
            overruns.add_metric([run], counters["overruns"])
            lateness.add_metric([run, "mean"], counters["mean_lateness"])
            lateness.add_metric([run, "max"], counters["max_lateness"])
            latency = getattr(getattr(handle.link, "io", None), "latency", None)
            for endpoint, figures in (latency() if callable(latency) else {}).items():
                for direction in ("read", "write"):
                    h = figures[direction]
                    buckets = [(_le(bound), count) for bound, count in zip(h["bounds"], h["cumulative"])]
                    io.add_metric([run, endpoint, direction], buckets, h["sum"])
                reconnects.add_metric([run, endpoint], figures["reconnects"])
                connected.add_metric([run, endpoint], 1.0 if figures["state"] == "connected" else 0.0)
        yield from (ticks, rate, overruns, lateness, io, reconnects, connected)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
