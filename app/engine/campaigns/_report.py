"""Reports of a campaign: JUnit XML with one testcase per (point, seed), and one static, offline HTML summary.

JUnit: ``testsuites`` > one ``testsuite`` per grid point (its parameters in the name and as properties) > one
``testcase`` per seed; a failed run carries ``<failure>`` with every failed assertion, a run error ``<error>``, and
each non-passing case says how to reproduce it in ``system-out``. HTML: the pass rate overall and per point (a grid
when two parameters are swept), each metric's distribution per point with a box plot, which assertions failed how
often, the worst cases and each metric's extremes with the command that reproduces them. No script, no network.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from typing import Any, Callable

from ..scenarios._report_script import CSS
from ._runner import CampaignResult, CaseResult, Distribution

__all__ = ["campaign_html", "campaign_junit", "format_point"]

Reproduce = Callable[[CampaignResult, CaseResult], str]

_EXTRA_CSS = """
.bar{display:inline-block;height:10px;background:#c62828;vertical-align:middle;width:80px;margin-right:6px}
.bar i{display:block;height:10px;background:#2e7d32}
td.num{text-align:right;font-variant-numeric:tabular-nums} code.cmd{font-size:12px;white-space:pre-wrap}
td.cell{text-align:center;font-weight:600;color:#111}
"""


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_point(parameters: dict[str, Any]) -> str:
    """``tank.area=0.4, level_pid.kp=1`` (or ``model as is`` for a point with no swept parameter)."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in parameters.items()) or "model as is"


def campaign_junit(result: CampaignResult, reproduce: Reproduce | None = None) -> str:
    """JUnit XML: a testsuite per grid point, a testcase per seed (``failure`` / ``error`` when it did not pass)."""
    root = ET.Element("testsuites", name=f"campaign {result.name}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    by_point: dict[int, list[CaseResult]] = {}
    for c in result.cases:
        by_point.setdefault(c.point, []).append(c)
    for index, parameters in enumerate(result.points):
        cases = by_point.get(index, [])
        failures = sum(c.status == "failed" for c in cases)
        errors = sum(c.status == "error" for c in cases)
        wall = sum(c.wall_time for c in cases)
        suite = ET.SubElement(root, "testsuite", name=f"{result.name} [{format_point(parameters)}]",
                              tests=str(len(cases)), failures=str(failures), errors=str(errors), skipped="0",
                              time=f"{wall:.3f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("model", result.model), ("model_digest", result.model_digest), ("point", index),
                           *result.fixed.items(), *parameters.items()):
            ET.SubElement(props, "property", name=str(key), value=_fmt(value))
        classname = f"campaign.{result.name}.point{index}"
        for c in cases:
            case = ET.SubElement(suite, "testcase", name=f"seed {c.seed}", classname=classname,
                                 time=f"{c.wall_time:.3f}")
            if c.status == "error":
                err = ET.SubElement(case, "error", type="RunError", message=c.error or "error")
                err.text = c.error or ""
            elif c.status != "passed":
                failure = ET.SubElement(case, "failure", type="AssertionFailed",
                                        message="; ".join(f"{f['name']}: {f['message']}" for f in c.failures))
                failure.text = "\n".join(f"{f['name']}: {f['message']}" for f in c.failures)
            if c.status != "passed" and reproduce is not None:
                ET.SubElement(case, "system-out").text = f"reproduce: {reproduce(result, c)}"
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["errors"] += errors
        totals["time"] += wall
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", f"{totals['time']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _badge(status: str) -> str:
    cls = {"passed": "pass", "failed": "fail"}.get(status, "error")
    return f'<span class="{cls}">{html.escape(status.upper())}</span>'


def _rate_colour(rate: float) -> str:
    """Red at 0 % through amber to green at 100 %."""
    red, green = (198, 40, 40), (46, 125, 50)
    mix = [round(r + (g - r) * rate) for r, g in zip(red, green)]
    return f"rgba({mix[0]},{mix[1]},{mix[2]},{0.25 + 0.5 * rate:.2f})"


def _box(d: Distribution, lo: float, hi: float, width: int = 140, height: int = 16) -> str:
    """An inline SVG box plot (min, p5..p95 box, median, max) on the scale [lo, hi] shared by the column."""
    if d.n == 0 or d.min is None or d.max is None:
        return ""
    span = (hi - lo) or 1.0

    def x(v: float | None) -> float:
        return 2 + (width - 4) * ((v if v is not None else lo) - lo) / span

    y = height / 2
    return (f"<svg width='{width}' height='{height}' role='img' aria-label='distribution'>"
            f"<line x1='{x(d.min):.1f}' y1='{y}' x2='{x(d.max):.1f}' y2='{y}' stroke='#888'/>"
            f"<rect x='{x(d.p5):.1f}' y='3' width='{max(1.0, x(d.p95) - x(d.p5)):.1f}' height='{height - 6}' "
            f"fill='#bbdefb' stroke='#1f77b4'/>"
            f"<line x1='{x(d.p50):.1f}' y1='2' x2='{x(d.p50):.1f}' y2='{height - 2}' stroke='#0d47a1' "
            f"stroke-width='2'/></svg>")


def _stats(d: Distribution) -> str:
    if d.n == 0:
        return "no value"
    return " · ".join(_fmt(v) for v in (d.min, d.p50, d.mean, d.p95, d.max))


def campaign_html(result: CampaignResult, reproduce: Reproduce | None = None, title: str | None = None,
                  worst: int = 20) -> str:
    """One offline HTML page summarising the campaign (no script: it is tables and inline SVG)."""
    e = html.escape
    title = title or f"Campaign: {result.name}"
    counts = result.counts()
    summaries = result.point_summaries()
    rate = counts["passed"] / counts["done"] if counts["done"] else 0.0
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{e(title)}</title>"
             f"<style>{CSS}{_EXTRA_CSS}</style></head><body><h1>{e(title)}</h1>",
             f"<p class='meta'>model {e(result.model)} ({e(result.model_digest[:12])}) · {len(result.points)} "
             f"point(s) × {len(result.seeds)} seed(s) = {result.runs} run(s) · {e(result.executor)} · "
             f"{result.wall_time:.1f} s wall" + (f" · {e(result.path)}" if result.path else "") + "</p>",
             f"<p>{_badge('passed' if result.passed else 'failed')} {counts['passed']} of {counts['done']} run(s) "
             f"passed ({rate:.1%}); {counts['failed']} failed, {counts['errors']} run error(s)"
             + (f"; <b>stopped</b> after {counts['done']} of {result.runs}" if result.stopped else "") + ".</p>"]
    if result.fixed:
        parts.append(f"<p class='meta'>every run: {e(format_point(result.fixed))}</p>")
    targets = list(result.sweeps)
    if len(targets) == 2:
        rows, cols = result.sweeps[targets[0]], result.sweeps[targets[1]]
        parts.append(f"<h2>Pass rate: {e(targets[0])} (rows) × {e(targets[1])} (columns)</h2><table><tr><th></th>"
                     + "".join(f"<th>{e(_fmt(v))}</th>" for v in cols) + "</tr>")
        for i, rv in enumerate(rows):
            cells = []
            for j in range(len(cols)):
                s = summaries[i * len(cols) + j]
                cells.append(f"<td class='cell' style='background:{_rate_colour(s.pass_rate)}' "
                             f"title='{s.passed}/{s.runs}'>{s.pass_rate:.0%}</td>")
            parts.append(f"<tr><th>{e(_fmt(rv))}</th>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append("<h2>Points</h2>")
    if result.metrics:
        parts.append("<p class='meta'>metrics: min · p50 · mean · p95 · max over the seeds; the box spans p5..p95, "
                     "the bar is the median, the whiskers min and max (one scale per column)</p>")
    overall = result.overall()
    head = "".join(f"<th>{e(t)}</th>" for t in targets)
    head += "<th>runs</th><th>passed</th><th>pass rate</th><th>failed</th><th>errors</th>"
    head += "".join(f"<th>{e(m)}</th>" for m in result.metrics)
    parts.append(f"<table><tr><th>#</th>{head}</tr>")
    for s in summaries:
        row = f"<td class='num'>{s.index}</td>"
        row += "".join(f"<td class='num'>{e(_fmt(s.parameters[t]))}</td>" for t in targets)
        row += (f"<td class='num'>{s.runs}</td><td class='num'>{s.passed}</td><td><span class='bar'>"
                f"<i style='width:{s.pass_rate * 100:.1f}%'></i></span>{s.pass_rate:.1%}</td>"
                f"<td class='num'>{s.failed}</td><td class='num'>{s.errors}</td>")
        for m in result.metrics:
            d, whole = s.metrics[m], overall[m]
            box = _box(d, whole.min, whole.max) if whole.min is not None and whole.max is not None else ""
            row += f"<td>{box}<br><span class='meta'>{e(_stats(d))}</span></td>"
        parts.append(f"<tr>{row}</tr>")
    parts.append("</table>")
    tally: dict[str, int] = {}
    for s in summaries:
        for name, n in s.failed_assertions.items():
            tally[name] = tally.get(name, 0) + n
    if tally:
        parts.append("<h2>Failed assertions</h2><table><tr><th>assertion</th><th>failed in runs</th>"
                     "<th>points where it failed</th></tr>")
        for name, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])):
            where = [str(s.index) for s in summaries if name in s.failed_assertions]
            parts.append(f"<tr><td>{e(name)}</td><td class='num'>{n}</td><td>{e(', '.join(where))}</td></tr>")
        parts.append("</table>")
    cases = {(c.point, c.seed): c for c in result.cases}
    bad = result.worst(worst)
    if bad:
        parts.append(f"<h2>Worst cases ({len(bad)} of {counts['failed'] + counts['errors']} not passing)</h2>"
                     "<table><tr><th>point</th><th>parameters</th><th>seed</th><th>verdict</th><th>why</th>"
                     + ("<th>reproduce</th>" if reproduce else "") + "</tr>")
        for c in bad:
            why = c.error or "; ".join(f"{f['name']}: {f['message']}" for f in c.failures)
            parts.append(f"<tr><td class='num'>{c.point}</td><td>{e(format_point(result.points[c.point]))}</td>"
                         f"<td class='num'>{c.seed}</td><td>{_badge(c.status)}</td><td>{e(why)}</td>"
                         + (f"<td><code class='cmd'>{e(reproduce(result, c))}</code></td>" if reproduce else "")
                         + "</tr>")
        parts.append("</table>")
    if result.metrics and result.cases:
        parts.append("<h2>Extremes</h2><table><tr><th>metric</th><th>lowest</th><th>highest</th></tr>")
        for m in result.metrics:
            d = overall[m]
            cells = []
            for value, key in ((d.min, d.min_case), (d.max, d.max_case)):
                if key is None or value is None:
                    cells.append("<td>-</td>")
                    continue
                c = cases[key]
                cmd = f"<br><code class='cmd'>{e(reproduce(result, c))}</code>" if reproduce else ""
                cells.append(f"<td>{e(_fmt(value))} at point {c.point} ({e(format_point(result.points[c.point]))}), "
                             f"seed {c.seed}{cmd}</td>")
            parts.append(f"<tr><td>{e(m)}</td>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
