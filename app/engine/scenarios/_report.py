"""Reports of scenario results: JUnit XML for CI servers, one self-contained HTML file for people, telemetry CSV.

JUnit: ``testsuites`` > one ``testsuite`` per scenario > one ``testcase`` per assertion; a failed
assertion carries ``<failure message="expected ..., actual ... at t=...">``, a run that could not
finish carries one ``<error>``. HTML: per scenario its verdicts, an overview of every recorded signal with all
fault periods, and a plot per assertion (signals with units, thresholds, window, triggers, failure point). The
samples go into the page as JSON and a small embedded script draws them (``_report_script``): it opens offline,
fits the window's width, and all plots of a scenario share the time axis, drag-to-zoom and a cursor readout.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import xml.etree.ElementTree as ET
from typing import Any, Sequence

from ._report_script import CSS, SCRIPT
from ._runner import AssertionResult, ScenarioResult, fmt

__all__ = ["html_report", "junit_xml", "telemetry_csv"]


def junit_xml(results: Sequence[ScenarioResult], name: str = "scenarios") -> str:
    """JUnit XML (the common schema: testsuites/testsuite/testcase with failure and error elements)."""
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for r in results:
        errors = 1 if r.status == "error" else 0
        tests = len(r.assertions) + errors
        suite = ET.SubElement(root, "testsuite", name=r.name, tests=str(tests), failures=str(r.failures),
                              errors=str(errors), skipped="0", time=f"{r.wall_time:.3f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("model", r.model), ("model_digest", r.model_digest), ("seed", r.seed), ("dt", r.dt),
                           ("duration", r.duration), ("file", r.path or "")):
            ET.SubElement(props, "property", name=key, value=str(value))
        classname = f"scenarios.{r.name}"
        if r.status == "error":
            case = ET.SubElement(suite, "testcase", name="run", classname=classname, time=f"{r.wall_time:.3f}")
            err = ET.SubElement(case, "error", message=r.error or "error", type="RunError")
            err.text = r.error or ""
        for a in r.assertions:
            case = ET.SubElement(suite, "testcase", name=a.name, classname=classname, time="0.000")
            if not a.passed:
                when = failure_time(a)
                failure = ET.SubElement(case, "failure", type="AssertionFailed",
                                        message=f"expected {a.expected}, actual {a.actual}{when}")
                failure.text = a.message + "".join(f"\n  {p} = {fmt(v)}" for p, v in a.values_at_time.items())
        if r.fault_periods:
            out = ET.SubElement(suite, "system-out")
            out.text = "\n".join(f"fault {p['name']}: {p['start']:g} s .. {p['end']:g} s" for p in r.fault_periods)
        totals["tests"] += tests
        totals["failures"] += r.failures
        totals["errors"] += errors
        totals["time"] += r.wall_time
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", f"{totals['time']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def failure_time(a: AssertionResult) -> str:
    """When an assertion failed, saying which time it is: a response names its trigger and its deadline."""
    if a.time is None:
        return ""
    if a.kind == "after" and a.window is not None:
        return f" by the deadline t={a.time:g} s (triggered at t={a.window[0]:g} s)"
    return f" at t={a.time:g} s"


def telemetry_csv(result: ScenarioResult) -> str:
    """Recorded samples: time, every recorded port, and ``fault:<target>`` (1 while a fault is active)."""
    times = result.series.get("time", [])
    ports = result.series.get("ports", {})
    targets = sorted({p["target"] for p in result.fault_periods})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", *ports, *(f"fault:{t}" for t in targets)])
    columns = list(ports.values())
    for k, t in enumerate(times):
        flags = [int(any(p["target"] == target and p["start"] <= t < p["end"] for p in result.fault_periods))
                 for target in targets]
        writer.writerow([repr(t), *(fmt(col[k]) if isinstance(col[k], bool) else repr(col[k]) for col in columns),
                         *flags])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- HTML

MAX_POINTS = 6000  # per series in the page; longer runs keep each bucket's min and max (spikes stay visible)
OVERVIEW_LANES = 16


def _compact(value: Any) -> Any:
    """A sample as it goes into the page: bools as 0/1, floats to 6 significant digits, None for nan/inf."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    return value


def _reduced(values: list[Any]) -> tuple[list[Any], list[int] | None]:
    """The samples to draw and, when reduced, the index of each one in the time vector."""
    if len(values) <= MAX_POINTS:
        return [_compact(v) for v in values], None
    size = math.ceil(len(values) / (MAX_POINTS // 2))
    keep: list[int] = []
    for start in range(0, len(values), size):
        bucket = [k for k in range(start, min(start + size, len(values))) if values[k] is not None]
        if bucket:
            lo = min(bucket, key=lambda k: values[k])
            hi = max(bucket, key=lambda k: values[k])
            keep.extend(sorted({lo, hi}))
    return [_compact(values[k]) for k in keep], keep


def _is_bool(column: list[Any]) -> bool:
    return isinstance(next((v for v in column if v is not None), None), bool)


def _figure(result: ScenarioResult, ports: list[str], *, thresholds: Sequence[float] = (), lane_height: int = 150,
            each_own_lane: bool = False) -> dict[str, Any]:
    columns = result.series["ports"]
    floats = [p for p in ports if p in columns and not _is_bool(columns[p])]
    bools = [p for p in ports if p in columns and _is_bool(columns[p])]
    if each_own_lane:
        lanes = [{"p": [p], "h": lane_height} for p in floats]
    else:
        lanes = [{"p": floats, "h": lane_height, "th": list(thresholds)}] if floats else []
    lanes += [{"p": [p]} for p in bools]
    return {"lanes": lanes, "fl": True}


def _scenario_data(result: ScenarioResult) -> dict[str, Any]:
    """Everything the page's script draws for one scenario: samples, units, fault periods and the figures."""
    times = result.series["time"]
    columns = result.series["ports"]
    units = result.series.get("units", {})
    series: dict[str, Any] = {}
    for port, column in columns.items():
        values, index = _reduced(column)
        entry: dict[str, Any] = {"v": values, "b": int(_is_bool(column))}
        if units.get(port):
            entry["u"] = units[port]
        if index is not None:
            entry["i"] = index
        series[port] = entry
    overview = _figure(result, list(columns)[:OVERVIEW_LANES], lane_height=70, each_own_lane=True)
    figures = [overview]
    for a in result.assertions:
        fig = _figure(result, a.ports, thresholds=a.thresholds)
        if a.window is not None and a.window[1] > a.window[0]:
            fig["w"] = list(a.window)
        if a.trigger_times:
            fig["tr"] = a.trigger_times[:200]
        if a.time is not None:
            fig["m"] = {"t": a.time, "ok": a.passed}
        figures.append(fig)
    return {
        "t": [round(t, 9) for t in times], "t0": times[0], "t1": times[-1] if times[-1] > times[0] else times[0] + 1,
        "s": series, "f": [{"n": p["name"], "a": p["start"], "e": p["end"]} for p in result.fault_periods],
        "figs": figures,
    }


def _badge(status: str) -> str:
    cls = {"passed": "pass", "failed": "fail"}.get(status, "error")
    return f'<span class="{cls}">{html.escape(status.upper())}</span>'


_KEY = ("<p class='key'><span><i class='sw' style='background:rgba(214,39,40,.25)'></i>fault period</span>"
        "<span><i class='sw' style='background:rgba(31,119,180,.18)'></i>assertion window</span>"
        "<span style='color:#c62828'>- - threshold</span><span style='color:#9467bd'>┆ trigger</span>"
        "<span style='color:#c62828'>● failed here</span><span style='color:#2e7d32'>● satisfied here</span>"
        "<span>drag across a plot to zoom (every plot of the scenario follows), double-click to reset; hover for "
        "values</span></p>")


def html_report(results: Sequence[ScenarioResult], title: str = "Scenario report", plots: bool = True) -> str:
    """One offline HTML file: a summary, then per scenario its verdicts, an overview of the recorded signals with
    every fault period, and a plot per assertion; plots share the time axis, zoom and a cursor readout."""
    e = html.escape
    passed = sum(r.passed for r in results)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{e(title)}</title>"
             f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
             f"<p class='meta'>{len(results)} scenario(s): {passed} passed, {len(results) - passed} failed or in "
             f"error; {sum(len(r.assertions) for r in results)} assertion(s), "
             f"{sum(r.failures for r in results)} failed.</p>",
             "<noscript><p><b>The plots need JavaScript</b> (embedded in this file; nothing is downloaded).</p>"
             "</noscript>",
             "<table><tr><th>scenario</th><th>verdict</th><th>assertions</th><th>failed</th></tr>"]
    for i, r in enumerate(results):
        parts.append(f"<tr><td><a href='#s{i}'>{e(r.name)}</a></td><td>{_badge(r.status)}</td>"
                     f"<td>{len(r.assertions)}</td><td>{r.failures}</td></tr>")
    parts.append("</table>")
    any_plots = False
    for i, r in enumerate(results):
        parts.append(f"<h2 id='s{i}'>{_badge(r.status)} {e(r.name)}</h2>")
        parts.append(f"<p class='meta'>model {e(r.model)} · seed {r.seed} · dt {r.dt:g} s · duration "
                     f"{r.duration:g} s · {r.ticks} samples · {r.wall_time:.2f} s wall"
                     + (f" · {e(r.path)}" if r.path else "") + "</p>")
        if r.error:
            parts.append(f"<p><b>error:</b> {e(r.error)}</p>")
        if r.fault_periods:
            parts.append("<table><tr><th>fault</th><th>type</th><th>target</th><th>from [s]</th><th>to [s]</th></tr>")
            for p in r.fault_periods:
                parts.append(f"<tr><td>{e(p['name'])}</td><td>{e(p['type'])}</td><td>{e(p['target'])}</td>"
                             f"<td>{p['start']:g}</td><td>{p['end']:g}</td></tr>")
            parts.append("</table>")
        parts.append("<table><tr><th>assertion</th><th>verdict</th><th>expected</th><th>actual</th>"
                     "<th>time [s]</th><th>details</th></tr>")
        for k, a in enumerate(r.assertions):
            parts.append(f"<tr><td><a href='#s{i}a{k}'>{e(a.name)}</a></td>"
                         f"<td>{_badge('passed' if a.passed else 'failed')}</td>"
                         f"<td><code>{e(a.expected)}</code></td><td>{e(a.actual or '')}</td>"
                         f"<td>{'' if a.time is None else f'{a.time:g}'}</td><td>{e(a.message)}</td></tr>")
        parts.append("</table>")
        if not (plots and r.series.get("time")):
            continue
        any_plots = True
        data = json.dumps(_scenario_data(r), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        parts.append(f"<script type='application/json' data-scenario='{i}'>{data}</script>")
        parts.append(f"<h3>Overview: recorded signals and fault periods<button class='reset' data-scenario='{i}'>"
                     "reset zoom</button></h3>")
        parts.append(f"<div class='fig' data-scenario='{i}' data-fig='0'></div>")
        for k, a in enumerate(r.assertions):
            parts.append(f"<h3 id='s{i}a{k}'>{_badge('passed' if a.passed else 'failed')} {e(a.name)}</h3>"
                         f"<p class='msg'>{e(a.message)}</p>")
            parts.append(f"<div class='fig' data-scenario='{i}' data-fig='{k + 1}'></div>")
    if any_plots:
        parts.insert(3, _KEY)
        parts.append(f"<script>{SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def result_summary(result: ScenarioResult) -> dict[str, Any]:
    """The result without its samples: what a JSON report or an API response carries."""
    return result.to_dict(series=False)
