"""Reports of scenario results: JUnit XML for CI servers, one self-contained HTML file for people, telemetry CSV.

JUnit: ``testsuites`` > one ``testsuite`` per scenario > one ``testcase`` per assertion; a failed
assertion carries ``<failure message="expected ..., actual ... at t=...">``, a run that could not
finish carries one ``<error>``. HTML: per scenario a verdict table and one plot per assertion
(signals, threshold lines, window, fault periods, failure point), PNGs inlined as base64, so the file
opens offline. matplotlib is imported lazily with the Agg backend.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import xml.etree.ElementTree as ET
from typing import Any, Sequence

from ._runner import AssertionResult, ScenarioResult, fmt

__all__ = ["html_report", "junit_xml", "plot_assertion_png", "telemetry_csv"]


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


# ---------------------------------------------------------------------------------------------- plots


def plot_assertion_png(result: ScenarioResult, a: AssertionResult, dpi: int = 80) -> bytes:
    """One assertion's picture: its signals, thresholds, window, fault periods and the failure point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = result.series["time"]
    columns = result.series["ports"]
    fig, ax = plt.subplots(figsize=(9, 2.8), dpi=dpi)
    try:
        floats = [p for p in a.ports if p in columns and not (columns[p] and isinstance(columns[p][0], bool))]
        bools = [p for p in a.ports if p in columns and p not in floats]
        for p in floats:
            ax.plot(times, columns[p], linewidth=1.4, label=p)
        for v in a.thresholds:
            ax.axhline(v, color="tab:red", linestyle="--", linewidth=1.0, label=f"threshold {v:g}")
        bax = None
        if bools:
            bax = ax.twinx() if floats else ax
            for i, p in enumerate(bools):  # a small offset per signal keeps coinciding edges apart
                lift = 0.03 * i
                bax.step(times, [(1 if v else 0) - lift for v in columns[p]], where="post", linewidth=1.4, label=p,
                         linestyle=":" if floats else "-")
            bax.set_yticks([0, 1], ["false", "true"])
            bax.set_ylim(-0.15, 1.15)
        if a.window is not None and a.window[1] > a.window[0]:
            ax.axvspan(a.window[0], a.window[1], color="tab:blue", alpha=0.08, label="window")
        for tt in a.trigger_times[:50]:
            ax.axvline(tt, color="tab:purple", linestyle=":", linewidth=0.8)
        for i, period in enumerate(result.fault_periods):
            ax.axvspan(period["start"], period["end"], color="tab:red", alpha=0.12, hatch="//",
                       label="fault" if i == 0 else None)
            ax.text(period["start"], 1.0, f" {period['name']}", transform=ax.get_xaxis_transform(), fontsize=7,
                    va="top", color="darkred")
        if a.time is not None:
            marker_ax, y = ax, None
            if floats:
                k = min(range(len(times)), key=lambda i: abs(times[i] - a.time))  # type: ignore[operator]
                y = columns[floats[0]][k]
            elif bools and bax is not None:
                k = min(range(len(times)), key=lambda i: abs(times[i] - a.time))  # type: ignore[operator]
                marker_ax, y = bax, 1 if columns[bools[0]][k] else 0
            color = "tab:green" if a.passed else "red"
            ax.axvline(a.time, color=color, linewidth=1.0, alpha=0.7)
            if y is not None:
                marker_ax.plot([a.time], [y], marker="o" if a.passed else "X", markersize=10, color=color,
                               label="satisfied" if a.passed else "failed here", linestyle="none")
        ax.set_xlim(times[0] if times else 0, times[-1] if times else 1)
        ax.set_xlabel("time [s]")
        ax.grid(True, alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        if bax is not None and bax is not ax:
            h2, l2 = bax.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        if handles:
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.08 if bax is not None and bax is not ax
                                                                        else 1.01, 1.0), fontsize=8, frameon=False)
        verdict = "PASS" if a.passed else "FAIL"
        ax.set_title(f"{verdict}: {a.name}", fontsize=10, loc="left", color="darkgreen" if a.passed else "darkred")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


_CSS = """
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px} td,th{border:1px solid #ddd;padding:4px 8px;font-size:13px;
text-align:left;vertical-align:top} th{background:#f4f4f4}
.pass{color:#fff;background:#2e7d32;padding:1px 6px;border-radius:3px;font-weight:600}
.fail{color:#fff;background:#c62828;padding:1px 6px;border-radius:3px;font-weight:600}
.error{color:#fff;background:#ef6c00;padding:1px 6px;border-radius:3px;font-weight:600}
.meta{color:#555;font-size:13px} img{max-width:100%;display:block;margin:4px 0 18px}
"""


def _badge(status: str) -> str:
    cls = {"passed": "pass", "failed": "fail"}.get(status, "error")
    return f'<span class="{cls}">{html.escape(status.upper())}</span>'


def html_report(results: Sequence[ScenarioResult], title: str = "Scenario report", plots: bool = True) -> str:
    """One offline HTML file: a summary, then per scenario its verdict table and a plot per assertion."""
    e = html.escape
    passed = sum(r.passed for r in results)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{e(title)}</h1>",
             f"<p class='meta'>{len(results)} scenario(s): {passed} passed, {len(results) - passed} failed or in "
             f"error; {sum(len(r.assertions) for r in results)} assertion(s), "
             f"{sum(r.failures for r in results)} failed.</p>",
             "<table><tr><th>scenario</th><th>verdict</th><th>assertions</th><th>failed</th></tr>"]
    for i, r in enumerate(results):
        parts.append(f"<tr><td><a href='#s{i}'>{e(r.name)}</a></td><td>{_badge(r.status)}</td>"
                     f"<td>{len(r.assertions)}</td><td>{r.failures}</td></tr>")
    parts.append("</table>")
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
        for a in r.assertions:
            parts.append(f"<tr><td>{e(a.name)}</td><td>{_badge('passed' if a.passed else 'failed')}</td>"
                         f"<td><code>{e(a.expected)}</code></td><td>{e(a.actual or '')}</td>"
                         f"<td>{'' if a.time is None else f'{a.time:g}'}</td><td>{e(a.message)}</td></tr>")
        parts.append("</table>")
        if plots and r.series.get("time"):
            for a in r.assertions:
                png = base64.b64encode(plot_assertion_png(r, a)).decode("ascii")
                parts.append(f"<img alt='{e(a.name)}' src='data:image/png;base64,{png}'>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def result_summary(result: ScenarioResult) -> dict[str, Any]:
    """The result without its samples: what a JSON report or an API response carries."""
    return result.to_dict(series=False)
