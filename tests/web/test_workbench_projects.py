"""Projects and models in the browser: create and rename a project, import a model document (and see a broken
one refused with every problem located, nothing stored), export it, delete the model and the project."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect

from tests.web.conftest import ConsoleErrors, LiveServer

expect.set_options(timeout=15_000)

PROJECT = "workbench-projects journey"  # unique to this test: the browser tests share one server
RENAMED = "workbench-projects line 7"

MIXER = """schema_version: 1
name: wb_mixer
description: feed into a pump
dt: 0.1
components:
  - {name: feed, type: Constant, parameters: {value: 1.0}}
  - {name: pump, type: Gain, parameters: {k: 2.0}}
connections:
  - {from: feed.out, to: pump.in}
"""

BROKEN = """schema_version: 1
name: wb_broken
dt: 0.05
components:
  - name: tank
    type: Tank
    parameters: {area: wide, height: 1.0}
  - name: thing
    type: Teleporter
connections:
  - {from: tank.level, to: nowhere.in}
"""


def choose_file(page: Page, name: str, text: str) -> None:
    payload: FilePayload = {"name": name, "mimeType": "application/yaml", "buffer": text.encode()}
    page.get_by_label("Model document").set_input_files(files=[payload])


def drop_file(page: Page, name: str, text: str) -> None:
    """Drop a file on the import area as a file manager would (a drop event carrying it)."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "application/yaml" }));
            return transfer;
        }""",
        [name, text],
    )
    page.get_by_test_id("import-dropzone").dispatch_event("drop", {"dataTransfer": transfer})


def test_create_rename_import_export_delete(
    live_server: LiveServer, page: Page, screenshots: Path, console_errors: ConsoleErrors
) -> None:
    # Chromium logs every 4xx answer as a console error; these are the refusals this journey asks for.
    console_errors.allow(r"status of 409 \(Conflict\)")
    console_errors.allow(r"status of 422 \(Unprocessable")
    other = live_server.api.post("/projects", json={"name": "workbench-projects other"}).json()

    # Create a project from the projects page; its page opens.
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="New project").click()
    form = page.get_by_role("form", name="new project")
    form.get_by_label("Name").fill(PROJECT)
    form.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    project_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name=PROJECT)).to_be_visible()

    # Rename: a name another project has is refused next to the name field; a free one is saved with a description.
    page.get_by_role("button", name="Rename or describe").click()
    details = page.get_by_role("form", name="project details")
    details.get_by_label("Name").fill(other["name"])
    details.get_by_role("button", name="Save").click()
    expect(details.get_by_test_id("field-error-name")).to_contain_text("already exists")
    expect(details.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    details.get_by_label("Name").fill(RENAMED)
    details.get_by_label("Description").fill("Packaging line 7")
    details.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=RENAMED)).to_be_visible()
    expect(page.get_by_test_id("project-description")).to_have_text("Packaging line 7")
    assert live_server.api.get(f"/projects/{project_id}").json()["name"] == RENAMED

    # Import a valid document by choosing the file: the new model opens with its graph.
    choose_file(page, "mixer.yaml", MIXER)
    expect(page).to_have_url(re.compile(r"/models/\d+$"))
    model_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name="wb_mixer")).to_be_visible()
    expect(page.get_by_test_id("model-summary")).to_contain_text("2 components · 1 connections")
    expect(page.get_by_test_id("node-pump")).to_be_visible()

    # A broken document dropped on the page is refused with every problem at its place in the file; no model is added.
    page.goto(f"{live_server.url}/projects/{project_id}")
    expect(page.get_by_test_id(f"model-link-{model_id}")).to_be_visible()
    drop_file(page, "broken.yaml", BROKEN)
    problems = page.get_by_role("list", name="problems in the document")
    expect(problems.get_by_role("listitem")).to_have_count(3)
    expect(problems).to_contain_text("components[0].parameters.area: must be a number")
    expect(problems).to_contain_text("components[1].type: unknown component type 'Teleporter'")
    expect(problems).to_contain_text("connections[0].to: unknown component 'nowhere'")
    expect(page.get_by_test_id("import-error")).to_contain_text("broken.yaml was not imported")
    page.get_by_test_id("import-dropzone").screenshot(path=screenshots / "import-problems.png")
    expect(page.get_by_role("list", name="machine models").get_by_role("listitem")).to_have_count(1)
    models = live_server.api.get("/machine-models", params={"project_id": project_id}).json()
    assert [m["name"] for m in models["items"]] == ["wb_mixer"]

    # Export as YAML: the download is the document, named after the model.
    page.get_by_test_id(f"model-link-{model_id}").click()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-yaml").click()
    download = download_info.value
    assert download.suggested_filename == "wb_mixer.yaml"
    exported = Path(download.path()).read_text()
    assert "name: wb_mixer" in exported and "pump" in exported and "feed.out" in exported

    # Delete the model: the dialog says what goes with it; Cancel keeps it, confirming deletes it.
    page.get_by_role("button", name="Delete model").click()
    dialog = page.get_by_role("dialog", name="Delete the model wb_mixer?")
    expect(dialog.get_by_test_id("delete-consequences")).to_contain_text(
        "2 components, 1 connection, 0 PLC bindings, its history and 0 scenarios"
    )
    expect(dialog).to_contain_text("runs are kept")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Delete model").click()
    dialog.get_by_role("button", name="Delete model").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}$"))
    expect(page.get_by_text("No models in this project yet.")).to_be_visible()
    assert live_server.api.get(f"/machine-models/{model_id}").status_code == 404

    # Delete the project after confirming; the projects page no longer lists it.
    page.get_by_role("button", name="Delete project").click()
    dialog = page.get_by_role("dialog", name=f"Delete the project {RENAMED}?")
    expect(dialog.get_by_test_id("delete-consequences")).to_contain_text("0 machine models")
    expect(dialog.get_by_test_id("delete-consequences")).to_contain_text("0 endpoints")
    dialog.get_by_role("button", name="Delete project").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(page.get_by_test_id(f"project-link-{project_id}")).to_have_count(0)
    expect(page.get_by_test_id(f"project-link-{other['id']}")).to_be_visible()
    assert live_server.api.get(f"/projects/{project_id}").status_code == 404
