from __future__ import annotations

import xml.etree.ElementTree as ET

from app.engine import ModelDocument
from app.engine.scenarios import ScenarioResult
from app.engine.scenarios._report import html_report, junit_xml

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


def test_html_report_is_one_self_contained_file_with_a_plot_per_assertion(model: ModelDocument) -> None:
    page = html_report(two_results(model))
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("src='data:image/png;base64,") == 4
    assert "http://" not in page and "https://" not in page  # opens offline
    assert "stuck gain.out" in page and "FAILED" in page and "PASSED" in page
