"""Campaign reports: JUnit with one testcase per (point, seed), and one offline HTML summary."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from app.engine.campaigns import CampaignResult, CaseResult, campaign_html, campaign_junit, run_campaign
from tests.engine.campaigns.support import campaign


def reproduce(result: CampaignResult, case: CaseResult) -> str:
    return f"repro --seed {case.seed} {result.case_parameters(case)}"


def test_junit_has_a_suite_per_point_and_a_case_per_seed() -> None:
    result = run_campaign(campaign(), workers=1)
    root = ET.fromstring(campaign_junit(result, reproduce))
    suites = root.findall("testsuite")
    assert len(suites) == 6 and all(len(s.findall("testcase")) == 4 for s in suites)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("24", "14", "0")
    suite = suites[3]
    assert suite.get("name") == "ramp under noise [g.k=2, ramp.slope=1]"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["g.k"] == "2" and props["ramp.slope"] == "1"
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert len(failed) == 2 and failed[0].find("failure").get("message").startswith("bounded: expected g.out <= 2.1")
    assert failed[0].find("system-out").text.startswith(f"reproduce: repro --seed {failed[0].get('name')[5:]}")


def test_html_is_one_offline_page_with_the_grid_points_and_worst_cases() -> None:
    result = run_campaign(campaign(), workers=1)
    page = campaign_html(result, reproduce)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)=['"]?https?:""", page)  # nothing to download
    assert "<script" not in page
    assert "Pass rate: g.k (rows) × ramp.slope (columns)" in page
    assert page.count("<svg") == 6  # a box plot per point for the one metric
    assert "Worst cases (14 of 14 not passing)" in page and "repro --seed" in page
    assert "Failed assertions" in page and "Extremes" in page
