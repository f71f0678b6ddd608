from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from app.engine import ModelDocument, parse_document
from app.engine.scenarios import ScenarioResult
from app.engine.scenarios._report import MAX_POINTS, _reduced, html_report, junit_xml

from .conftest import run


def two_results(model: ModelDocument) -> list[ScenarioResult]:
    good = run(model, assertions=[{"name": "ramp positive", "always": "ramp.out >= 0"}])
    bad = run(model, name="faulty", faults=[{"type": "stuck", "port": "gain.out", "value": 9, "at": 4, "for": 1}],
              assertions=[{"name": "below 8", "always": "gain.out < 8"}, {"name": "ok", "always": "true"},
                          {"name": "level at 2", "at": 2, "expect": "gain.out", "value": 3, "tolerance": 0.1}])
    return [good, bad]


def test_junit_has_a_suite_per_scenario_and_a_case_per_assertion(model: ModelDocument) -> None:
    root = ET.fromstring(junit_xml(two_results(model)))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "2", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["s", "faulty"]
    assert [(s.get("tests"), s.get("failures")) for s in suites] == [("1", "0"), ("3", "2")]
    for s in suites:
        assert s.get("time") is not None and s.get("errors") == "0"
        for case in s.findall("testcase"):
            assert case.get("name") and case.get("classname") and case.get("time") is not None


def test_junit_failure_states_expected_actual_and_time(model: ModelDocument) -> None:
    root = ET.fromstring(junit_xml(two_results(model)))
    failures = root.findall(".//testcase/failure")
    assert failures[0].get("message") == "expected gain.out < 8, actual gain.out=9 at t=4 s"
    assert failures[1].get("message") == "expected gain.out = 3 ± 0.1, actual 2 at t=2 s"


def test_junit_response_failure_names_the_trigger_and_the_deadline(model: ModelDocument) -> None:
    result = run(model, assertions=[{"name": "never", "after": "gain.out > 2", "expect": "gain.out < 0",
                                     "within": 0.5}])
    failure = ET.fromstring(junit_xml([result])).find(".//testcase/failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.endswith("by the deadline t=2.6 s (triggered at t=2.1 s)"), message
    assert "triggered at t=2.1 s, deadline t=2.6 s" in (failure.text or "")


def test_junit_reports_a_run_error_as_an_error_case(model: ModelDocument) -> None:
    result = run(model)
    result.status, result.passed, result.error, result.assertions = "error", False, "tick 3 failed", []
    root = ET.fromstring(junit_xml([result]))
    assert root.get("errors") == "1"
    assert root.find(".//testcase/error").get("message") == "tick 3 failed"  # type: ignore[union-attr]


def test_html_report_is_one_offline_file_with_an_overview_and_a_figure_per_assertion(model: ModelDocument) -> None:
    page = html_report(two_results(model))
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page and "<img" not in page  # opens offline, no PNGs
    assert "stuck gain.out" in page and "FAILED" in page and "PASSED" in page
    assert page.count("class='fig'") == 2 + 4  # an overview per scenario, a figure per assertion
    assert "width=device-width" in page  # fits the window


def scenario_data(page: str, index: int) -> dict[str, Any]:
    start = page.index(f"<script type='application/json' data-scenario='{index}'>")
    start = page.index(">", start) + 1
    return json.loads(page[start:page.index("</script>", start)])


def test_html_report_carries_units_fault_periods_and_every_recorded_signal(model: ModelDocument) -> None:
    tank = parse_document({"name": "t", "dt": 0.5, "components": [
        {"name": "valve", "type": "Valve", "parameters": {"travel_time": 1.0}, "inputs": {"command": 1.0}},
        {"name": "tank", "type": "Tank"}], "connections": [{"from": "valve.flow", "to": "tank.inflow"}]})
    result = run(tank, faults=[{"type": "stuck", "port": "valve.flow", "value": 0, "at": 2, "for": 3}],
                 assertions=[{"name": "rises", "eventually": "tank.level > 0.001"},
                             {"name": "no overflow", "always": "tank.overflow == false"}])
    data = scenario_data(html_report([result]), 0)
    assert data["s"]["tank.level"]["u"] == "m" and data["s"]["valve.flow"]["u"] == "m³/s"
    assert data["s"]["tank.overflow"]["b"] == 1 and set(data["s"]["tank.overflow"]["v"]) == {0}
    assert data["f"] == [{"n": "stuck valve.flow", "a": 2.0, "e": 5.0}]
    overview = [lane["p"] for lane in data["figs"][0]["lanes"]]
    assert overview == [[p] for p in data["s"]]  # every recorded signal in its own lane
    assert data["t"][0] == 0.0 and data["t"][-1] == 10.0 and (data["t0"], data["t1"]) == (0.0, 10.0)


def test_long_runs_keep_each_buckets_extremes_so_the_page_stays_small() -> None:
    values = [0.0] * 100_000
    values[54_321] = 7.0  # a one-sample spike survives the reduction
    reduced, index = _reduced(values)
    assert index is not None and len(reduced) <= MAX_POINTS and 7.0 in reduced
    assert index[reduced.index(7.0)] == 54_321


def test_the_shipped_examples_report_stays_under_a_megabyte(tmp_path: Path) -> None:
    import run as run_py

    root = Path(__file__).resolve().parents[3] / "examples" / "scenarios"
    report = tmp_path / "report.html"
    assert run_py.main(["test", str(root), str(root / "failing"), "--html", str(report)]) == 1
    assert report.stat().st_size < 1_000_000


