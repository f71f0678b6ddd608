"""The model page's history: a revision per change, who and when, and the semantic diff of a revision."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer


def test_a_parameter_change_shows_as_a_revision_with_its_diff(live_server: LiveServer, page: Page) -> None:
    project = live_server.api.post("/projects", json={"name": "history"}).json()
    document = {
        "schema_version": 1, "name": "mixer", "dt": 0.1,
        "components": [{"name": "feed", "type": "Constant", "parameters": {"value": 1.0}},
                       {"name": "pump", "type": "Gain", "parameters": {"k": 2.0}}],
        "connections": [{"from": "feed.out", "to": "pump.in"}],
    }  # fmt: skip
    model = live_server.api.post("/machine-models/import", params={"project_id": project["id"]}, json=document).json()
    page.goto(f"{live_server.url}/models/{model['id']}")
    expect(page.get_by_test_id("revision-1")).to_contain_text("created")
    components = live_server.api.get("/components", params={"machine_model_id": model["id"]}).json()["items"]
    pump = next(c for c in components if c["name"] == "pump")
    assert live_server.api.patch(f"/components/{pump['id']}", json={"parameters": {"k": 3.5}}).status_code == 200
    page.reload()
    expect(page.get_by_test_id("revision-2")).to_contain_text("~ parameter pump.k: 2.0 -> 3.5")
    page.get_by_test_id("revision-diff-2").click()
    expect(page.get_by_test_id("revision-diff")).to_contain_text("r1 → r2")
    expect(page.get_by_test_id("revision-diff")).to_contain_text("~ parameter pump.k: 2 → 3.5")

    # Restore r1: a new revision that says so, and the parameter is back.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("revision-restore-1").click()
    expect(page.get_by_test_id("revision-3")).to_contain_text("restores r1")
    expect(page.get_by_test_id("revision-3")).to_contain_text("~ parameter pump.k: 3.5 -> 2.0")
    components = live_server.api.get("/components", params={"machine_model_id": model["id"]}).json()["items"]
    assert next(c for c in components if c["name"] == "pump")["parameters"]["k"] == 2.0
