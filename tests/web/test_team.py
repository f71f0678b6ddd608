"""Two people on one team server in the browser: the admin signs in, adds a user to a project, grants and
manages tokens; the observer sees only their project and is offered no control they may not use."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import ConsoleErrors, LiveServer
from tests.web.test_journey import import_example

expect.set_options(timeout=15_000)

ADMIN, ADMIN_PASSWORD = "alice", "alice-password-1"
OBSERVER, OBSERVER_PASSWORD = "bob", "bob-password-12"


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose first user (created in local mode, which it ends) is a platform admin; its API client
    signs in as that admin."""
    server = LiveServer(tmp_path_factory.mktemp("team-server"))
    try:
        server.wait_until_healthy()
        created = server.api.post("/users", json={"username": ADMIN, "password": ADMIN_PASSWORD, "is_admin": True})
        assert created.status_code == 201, created.text
        token = server.api.post("/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}).json()["token"]
        server.api.cookies.clear()
        server.api.headers["Authorization"] = f"Bearer {token}"
        yield server
    finally:
        server.stop()


def sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_team_admin_and_observer(
    team_server: LiveServer, page: Page, browser: Browser, screenshots: Path, console_errors: ConsoleErrors
) -> None:
    # Signed out, GET /auth/me answers 401 (and so does a wrong password): Chromium logs each as a console error.
    console_errors.allow(r"status of 401 \(Unauthorized\)")
    console_errors.allow(r"status of 404 \(Not Found\)")  # adding a user who does not exist, on purpose
    project_id, model_id = import_example(team_server)
    other = team_server.api.post("/projects", json={"name": "another team's line"}).json()
    endpoint = team_server.api.post(
        "/endpoints", json={"project_id": project_id, "name": "plc1", "url": "opc.tcp://127.0.0.1:4840"}
    ).json()

    # Signed out, a deep link leads to the sign-in page and back to it afterwards.
    page.goto(f"{team_server.url}/projects/{project_id}")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fprojects%2F\d+$"))
    sign_in(page, ADMIN, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    page.screenshot(path=screenshots / "sign-in.png")
    sign_in(page, ADMIN, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}$"))
    expect(page.get_by_test_id("my-role")).to_have_text("admin")
    expect(page.get_by_test_id("user-menu")).to_contain_text(ADMIN)

    # The platform admin creates a user; the project admin adds them as observer and lets them write to the PLC.
    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("menuitem", name="Users").click()
    page.get_by_label("new user name").fill(OBSERVER)
    page.get_by_label("new user password").fill(OBSERVER_PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_test_id(f"user-{OBSERVER}")).to_contain_text("active")

    page.goto(f"{team_server.url}/projects/{project_id}")
    page.get_by_test_id("members-link").click()
    expect(page.get_by_role("heading", name="Members and permissions")).to_be_visible()
    expect(page.get_by_test_id(f"member-{ADMIN}")).to_contain_text("(you)")
    page.get_by_label("member user name").fill("nobody-by-that-name")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("alert")).to_contain_text("nobody-by-that-name")
    page.get_by_label("member user name").fill(OBSERVER)
    page.get_by_label("new member role").select_option("observer")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_label(f"role of {OBSERVER}")).to_have_value("observer")
    page.get_by_label("grant PLC write on plc1 to").fill(OBSERVER)
    page.get_by_role("button", name="Allow PLC writes").click()
    expect(page.get_by_role("list", name="may write to plc1")).to_contain_text(OBSERVER)
    page.screenshot(path=screenshots / "members.png")
    grants = team_server.api.get(f"/endpoints/{endpoint['id']}/plc-write").json()
    assert [g["username"] for g in grants] == [OBSERVER]
    members = team_server.api.get(f"/projects/{project_id}/members").json()
    assert {m["username"]: m["role"] for m in members} == {ADMIN: "admin", OBSERVER: "observer"}
    page.get_by_label(f"revoke {OBSERVER}").click()
    expect(page.get_by_role("list", name="may write to plc1")).to_contain_text("nobody may write")

    # An API token for CI: shown once, works, revoked from the page, then refused.
    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("menuitem", name="Account and API tokens").click()
    page.get_by_placeholder("e.g. ci-nightly").fill("ci-nightly")
    page.get_by_label("token project").select_option(str(project_id))
    page.get_by_label("token role").select_option("observer")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token-value").inner_text().strip()
    assert token.startswith("dtw_")
    me = httpx.get(f"{team_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["user"]["username"], me["token_project_id"], me["token_role"]) == (ADMIN, project_id, "observer")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("table", name="tokens").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("table", name="tokens")).to_contain_text("revoked")
    refused = httpx.get(f"{team_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401

    # Sign out: the session cookie no longer opens anything.
    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto(f"{team_server.url}/models/{model_id}")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))

    # The observer, in a browser of their own, sees their project only and no control they may not use.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        observer = context.new_page()
        observer.goto(team_server.url + "/")
        sign_in(observer, OBSERVER, OBSERVER_PASSWORD)
        expect(observer.get_by_test_id(f"project-link-{project_id}")).to_be_visible()
        expect(observer.get_by_test_id(f"project-link-{other['id']}")).to_have_count(0)
        observer.get_by_test_id(f"project-link-{project_id}").click()
        expect(observer.get_by_test_id("my-role")).to_have_text("observer")
        expect(observer.get_by_test_id("members-link")).to_have_count(0)
        for control in ("Rename or describe", "Delete project", "New model"):  # admins, engineers
            expect(observer.get_by_role("button", name=control)).to_have_count(0)
        expect(observer.get_by_test_id("import-dropzone")).to_have_count(0)
        observer.get_by_test_id(f"model-link-{model_id}").click()
        expect(observer.get_by_test_id("observer-notice")).to_be_visible()
        expect(observer.get_by_test_id("start-run-form")).to_have_count(0)
        expect(observer.get_by_test_id("export-yaml")).to_be_visible()  # reading is theirs; editing is not
        for control in ("Rename or describe", "Delete model"):
            expect(observer.get_by_role("button", name=control)).to_have_count(0)
        # A run an operator started: the observer watches it but is offered no stop, force or fault controls.
        started = team_server.api.post("/simulations/start", json={"machine_model_id": model_id, "realtime": True})
        assert started.status_code in (201, 202), started.text
        run = started.json()
        observer.goto(f"{team_server.url}/runs/{run['id']}")
        expect(observer.get_by_test_id("observer-notice")).to_be_visible()
        expect(observer.get_by_test_id("node-tank")).to_be_visible()
        expect(observer.get_by_test_id("stop-run")).to_have_count(0)
        expect(observer.get_by_test_id("fault-form")).to_have_count(0)
        # Another team's project is not found, exactly as a missing one.
        observer.goto(f"{team_server.url}/projects/{other['id']}")
        expect(observer.get_by_role("alert")).to_contain_text(f"project {other['id']} not found")
        team_server.api.post(f"/simulations/{run['id']}/stop")
    finally:
        context.close()


def test_local_mode_is_said_in_the_top_bar(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/")
    expect(page.get_by_test_id("local-mode")).to_contain_text("Local single-user mode")
    page.goto(live_server.url + "/sign-in")
    expect(page.get_by_test_id("local-mode-sign-in")).to_contain_text("users create")
