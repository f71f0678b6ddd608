"""A commissioning engineer's first minutes in the browser: find the example model, run it, force, fault, stop."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import ROOT, LiveServer

expect.set_options(timeout=15_000)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Poll ``condition`` until it returns something truthy (and return that), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def port_reading(server: LiveServer, run_id: int, port: str) -> dict[str, Any]:
    values = server.api.get(f"/simulations/{run_id}/values").json()["values"]
    return next(v for v in values if v["port"] == port)


def import_example(server: LiveServer) -> tuple[int, int]:
    project = server.api.post("/projects", json={"name": "commissioning"}).json()
    body = (ROOT / "examples" / "heated_tank.yaml").read_bytes()
    model = server.api.post(
        "/machine-models/import",
        params={"project_id": project["id"]},
        content=body,
        headers={"content-type": "application/yaml"},
    ).json()
    return project["id"], model["id"]


def test_journey_run_force_fault_stop(live_server: LiveServer, page: Page, screenshots: Path) -> None:
    project_id, model_id = import_example(live_server)

    # Projects -> project -> model: the graph shows the example's components.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    page.screenshot(path=screenshots / "projects.png")
    page.get_by_test_id(f"project-link-{project_id}").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}$"))
    page.get_by_test_id(f"model-link-{model_id}").click()
    expect(page).to_have_url(re.compile(rf"/models/{model_id}$"))
    for component in ("tank", "inlet_valve", "outlet_valve", "heater", "level_pid"):
        expect(page.get_by_test_id(f"node-{component}")).to_be_visible()
    expect(page.get_by_test_id("model-summary")).to_contain_text("14 components")
    page.screenshot(path=screenshots / "model-graph.png")

    # Start a paced run from the form; the console opens on its deep link.
    form = page.get_by_test_id("start-run-form")
    expect(form.get_by_test_id("start-realtime")).to_be_checked()
    form.get_by_label("time scale").fill("4")
    form.get_by_test_id("start-run").click()
    expect(page).to_have_url(re.compile(r"/runs/\d+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("run-status")).to_have_text("running")
    expect(page.get_by_test_id("stream-state")).to_have_text("live")

    # Live values change on the graph.
    level = page.get_by_test_id("value-tank.level")
    expect(level).to_have_text(re.compile(r"\d"))
    first = level.text_content()
    expect(level).not_to_have_text(first or "")

    # Find the outlet valve on the graph, force it shut from the port panel; the API reports it forced.
    page.get_by_test_id("graph-search").fill("outlet_valve")
    page.get_by_test_id("graph-search-go").click()
    page.get_by_test_id("port-outlet_valve.command").click()
    panel = page.get_by_test_id("port-panel")
    expect(panel.get_by_test_id("port-panel-name")).to_have_text("outlet_valve.command")
    panel.get_by_test_id("force-value").fill("0")
    panel.get_by_test_id("force-button").click()
    wait_for(
        lambda: (r := port_reading(live_server, run_id, "outlet_valve.command"))["forced"] and r["value"] == 0,
        "outlet_valve.command forced to 0 in GET /values",
    )
    expect(page.get_by_test_id("value-outlet_valve.command")).to_have_attribute("data-forced", "true")
    expect(page.get_by_test_id("node-outlet_valve")).to_have_attribute("data-forced", "true")
    expect(page.get_by_test_id("force-row-outlet_valve.command")).to_be_visible()
    expect(page.locator('[data-testid="event-row"][data-kind="force"]')).to_have_count(1)

    # Watch the level trend react, and keep a screenshot of the console for the README.
    page.get_by_test_id("graph-search").fill("tank")
    page.get_by_test_id("graph-search-go").click()
    page.get_by_test_id("port-tank.level").click()
    page.get_by_test_id("add-to-trends").click()
    expect(page.get_by_test_id("trend-chip-tank.level")).to_be_visible()
    expect(page.get_by_test_id("trend-chart").locator("canvas")).to_be_visible()
    page.screenshot(path=screenshots / "live-console.png", full_page=True)

    # Release it from the forces list.
    page.get_by_test_id("release-all").click()
    wait_for(
        lambda: not port_reading(live_server, run_id, "outlet_valve.command")["forced"],
        "outlet_valve.command released in GET /values",
    )
    expect(page.get_by_test_id("force-row-outlet_valve.command")).to_have_count(0)
    expect(page.get_by_test_id("value-outlet_valve.command")).not_to_have_attribute("data-forced", "true")

    # Inject a stuck fault on the level transmitter's output, then clear it.
    faults = page.get_by_test_id("fault-panel")
    faults.get_by_test_id("fault-type").select_option("stuck")
    faults.get_by_test_id("fault-target").fill("level_sensor.value")
    faults.get_by_test_id("fault-option-value").fill("0.3")
    faults.get_by_test_id("fault-inject").click()
    active = wait_for(lambda: live_server.api.get(f"/simulations/{run_id}/faults").json(), "an active fault")
    assert [(f["type"], f["port"]) for f in active] == [("stuck", "level_sensor.value")]
    expect(faults.get_by_test_id(f"fault-row-{active[0]['id']}")).to_be_visible()
    expect(page.get_by_test_id("node-level_sensor")).to_have_attribute("data-faulted", "true")
    faults.get_by_test_id(f"fault-clear-{active[0]['id']}").click()
    wait_for(lambda: live_server.api.get(f"/simulations/{run_id}/faults").json() == [], "the fault cleared")
    expect(faults.get_by_test_id(f"fault-row-{active[0]['id']}")).to_have_count(0)

    # Stop: the run bar says so and the page shows the ended run.
    page.get_by_test_id("stop-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("stopped")
    expect(page.get_by_test_id("run-ended")).to_be_visible()
    assert live_server.api.get(f"/simulations/{run_id}/status").json()["status"] == "stopped"
    expect(page.locator('[data-testid="event-row"][data-kind="finished"]')).to_have_count(1)

    # What it simulated is kept: the stored document, and "run again" starts the same run anew.
    document_hash = live_server.api.get(f"/simulations/{run_id}").json()["document_hash"]
    expect(page.get_by_test_id("run-model-link")).to_have_text(document_hash[:12])
    page.get_by_test_id("rerun-button").click()
    expect(page).not_to_have_url(re.compile(rf"/runs/{run_id}$"))
    expect(page.get_by_test_id("rerun-of-link")).to_have_text(f"#{run_id}")
    rerun_id = int(page.url.rsplit("/", 1)[1])
    rerun = live_server.api.get(f"/simulations/{rerun_id}").json()
    assert (rerun["rerun_of"], rerun["document_hash"], rerun["seed"]) == (run_id, document_hash, 0)
    live_server.api.post(f"/simulations/{rerun_id}/stop")


def test_deep_link_reload_opens_the_same_page(live_server: LiveServer, page: Page) -> None:
    _, model_id = import_example_once(live_server)
    page.goto(f"{live_server.url}/models/{model_id}")
    expect(page.get_by_test_id("node-tank")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("node-tank")).to_be_visible()
    page.goto(f"{live_server.url}/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def import_example_once(server: LiveServer) -> tuple[int, int]:
    """The example model of the journey's project, imported if this test runs alone."""
    models = server.api.get("/machine-models", params={"limit": 1000}).json()["items"]
    for model in models:
        if model["name"] == "heated_tank":
            return model["project_id"], model["id"]
    return import_example(server)
