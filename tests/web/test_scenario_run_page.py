"""The scenario-run page: verdicts per assertion, their timelines and the report links."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import ROOT, LiveServer
from tests.web.test_journey import import_example_once, wait_for


def test_scenario_run_shows_each_assertion_and_the_reports(live_server: LiveServer, page: Page) -> None:
    project_id, model_id = import_example_once(live_server)
    text = (ROOT / "examples" / "scenarios" / "heated_tank_outlet_stuck.yaml").read_text()
    document = re.sub(r"(?m)^model:.*\n", "", text)  # the file names a model file; this one is stored
    scenario = live_server.api.post(
        "/scenarios",
        params={"machine_model_id": model_id},
        content=document.encode(),
        headers={"content-type": "application/yaml"},
    ).json()
    run = live_server.api.post(f"/scenarios/{scenario['id']}/run").json()
    wait_for(
        lambda: live_server.api.get(f"/scenario-runs/{run['id']}").json()["status"] == "completed",
        "the scenario run to complete",
        timeout=60,
    )

    page.goto(f"{live_server.url}/projects/{project_id}")
    page.get_by_test_id(f"scenario-run-link-{run['id']}").click()
    expect(page).to_have_url(re.compile(rf"/scenario-runs/{run['id']}$"))
    expect(page.get_by_role("heading", name="heated tank survives a stuck outlet valve")).to_be_visible()
    expect(page.get_by_test_id("scenario-verdict")).to_have_text("passed")
    expect(page.get_by_role("list", name="assertions").get_by_role("listitem")).to_have_count(6)
    expect(page.get_by_test_id("assertion-4")).to_contain_text("level held during the fault")
    expect(page.get_by_test_id("timeline-4").locator("rect")).to_have_count(2)  # the fault period and the window
    expect(page.get_by_test_id("junit-link")).to_have_attribute("href", f"/api/v1/scenario-runs/{run['id']}/junit")
    assert live_server.api.get(f"/scenario-runs/{run['id']}/html").status_code == 200

    # Run again: the same scenario document on the same model document, with the same verdicts.
    page.get_by_test_id("rerun-button").click()
    expect(page.get_by_test_id("rerun-of-link")).to_have_text(f"rerun of #{run['id']}")
    expect(page.get_by_test_id("scenario-verdict")).to_have_text("passed")
    rerun = live_server.api.get(f"/scenario-runs/{page.url.rsplit('/', 1)[1]}").json()
    assert rerun["rerun_of"] == run["id"] and rerun["verdict"] == "passed"
