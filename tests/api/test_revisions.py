"""Model history: a revision per committed change, who made it, the semantic diff between any two, and each
revision's document; nothing recorded for a failed request or a change that changes nothing."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.auth_support import add_member, add_user, login, post
from tests.api.test_live_model_edits import components_by_name
from tests.api.test_simulations import constant_gain, import_model, start, wait_status
from tests.conftest import assert_error

MODELS = "/api/v1/machine-models"


def history(client: TestClient, model_id: int, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    response = client.get(f"{MODELS}/{model_id}/revisions", headers=headers or {})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_an_import_is_revision_1_and_each_change_adds_one_with_its_summary(
    client: TestClient, project: dict[str, Any]
) -> None:
    model = import_model(client, project["id"], constant_gain())
    [first] = history(client, model["id"])
    assert (first["number"], first["changes"], first["summary"], first["user"]) == (1, 0, [], None)
    g = components_by_name(client, model["id"])["g"]
    assert client.patch(f"/api/v1/components/{g['id']}", json={"parameters": {"k": 5.0}}).status_code == 200
    assert client.patch(f"{MODELS}/{model['id']}", json={"dt": 0.02}).status_code == 200
    newest, second, _ = history(client, model["id"])
    assert (second["number"], second["summary"]) == (2, ["~ parameter g.k: 2.0 -> 5.0"])
    assert (newest["number"], newest["summary"]) == (3, ["~ model dt: 0.01 -> 0.02"])
    assert newest["document_hash"] != second["document_hash"] != first["document_hash"]


def test_a_change_that_changes_nothing_or_a_refused_one_adds_no_revision(
    client: TestClient, project: dict[str, Any]
) -> None:
    model = import_model(client, project["id"], constant_gain())
    g = components_by_name(client, model["id"])["g"]
    assert client.patch(f"/api/v1/components/{g['id']}", json={"parameters": {"k": 2.0}}).status_code == 200
    refused = client.patch(f"/api/v1/components/{g['id']}", json={"parameters": {"k": "fast"}})
    assert refused.status_code == 422
    assert [r["number"] for r in history(client, model["id"])] == [1]


def test_the_diff_of_two_revisions_is_semantic_and_each_revision_has_its_document(
    client: TestClient, project: dict[str, Any]
) -> None:
    model = import_model(client, project["id"], constant_gain())
    components = components_by_name(client, model["id"])
    client.patch(f"/api/v1/components/{components['g']['id']}", json={"name": "amp"})
    client.patch(f"/api/v1/components/{components['const']['id']}", json={"parameters": {"value": 4.0}})
    diff = client.get(f"{MODELS}/{model['id']}/diff", params={"from": 1}).json()
    assert (diff["from"], diff["to"]) == (1, 3)
    assert diff["changes"] == [  # by component name
        {"kind": "parameter_changed", "target": "const.value", "old": 1.0, "new": 4.0},
        {"kind": "component_renamed", "target": "g", "old": "g", "new": "amp"},
    ]
    back = client.get(f"{MODELS}/{model['id']}/diff", params={"from": 3, "to": 1}).json()
    assert [c["kind"] for c in back["changes"]] == ["component_renamed", "parameter_changed"]
    same = client.get(f"{MODELS}/{model['id']}/diff", params={"from": 2, "to": 2}).json()
    assert same["changes"] == []
    original = client.get(f"{MODELS}/{model['id']}/revisions/1", params={"format": "yaml"})
    assert original.headers["content-type"].startswith("application/yaml")
    assert {c["name"] for c in yaml.safe_load(original.text)["components"]} == {"const", "g"}


def test_a_run_carries_the_hash_of_the_revision_it_ran(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], constant_gain())
    run = start(client, model["id"], duration=0.05)
    wait_status(client, run["id"], "completed")
    ran = client.get(f"/api/v1/simulations/{run['id']}").json()["document_hash"]
    assert ran == history(client, model["id"])[0]["document_hash"]


def test_unknown_revisions_are_404_naming_the_ones_there_are(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], constant_gain())
    missing = assert_error(client.get(f"{MODELS}/{model['id']}/revisions/7"), 404, "revision_not_found")
    assert "revisions: 1..1" in missing["message"]
    assert_error(client.get(f"{MODELS}/{model['id']}/diff", params={"from": 9}), 404, "revision_not_found")
    assert_error(client.get(f"{MODELS}/{model['id']}/diff", params={"from": 0}), 422)
    assert_error(client.get(f"{MODELS}/999999/revisions"), 404)


def test_revisions_name_who_changed_the_model_and_hide_other_projects(client: TestClient, session: Session) -> None:
    add_user(session, "erin")
    add_user(session, "olaf")
    erin = login(client, "erin")
    project = post(client, erin, "projects", name="line-7")
    response = client.post(f"{MODELS}/import?project_id={project['id']}", json=constant_gain(), headers=erin)
    assert response.status_code == 201, response.text
    model_id = response.json()["id"]
    assert history(client, model_id, erin)[0]["user"] == "erin"
    olaf = login(client, "olaf")
    assert_error(client.get(f"{MODELS}/{model_id}/revisions", headers=olaf), 404)
    assert_error(client.get(f"{MODELS}/{model_id}/diff", params={"from": 1}, headers=olaf), 404)
    add_member(client, erin, project["id"], "olaf", "observer")
    assert [r["number"] for r in history(client, model_id, olaf)] == [1]


def test_restoring_a_revision_brings_the_model_back_as_a_new_revision(
    client: TestClient, project: dict[str, Any]
) -> None:
    model = import_model(client, project["id"], constant_gain())
    components = components_by_name(client, model["id"])
    client.patch(f"/api/v1/components/{components['g']['id']}", json={"name": "amp", "parameters": {"k": 9.0}})
    extra = client.post("/api/v1/components", json={"machine_model_id": model["id"], "name": "spare", "type": "Gain"})
    assert extra.status_code == 201, extra.text
    restored = client.post(f"{MODELS}/{model['id']}/revisions/1/restore")
    assert restored.status_code == 200, restored.text
    assert (restored.json()["number"], restored.json()["restored_from"]) == (4, 1)
    assert restored.json()["document_hash"] == history(client, model["id"])[-1]["document_hash"]
    back = components_by_name(client, model["id"])
    assert set(back) == {"const", "g"} and back["g"]["parameters"]["k"] == 2.0
    exported = client.get(f"{MODELS}/{model['id']}/export").json()
    assert exported["connections"] == [{"from": "const.out", "to": "g.in"}]
    again = client.post(f"{MODELS}/{model['id']}/revisions/1/restore")  # already that model: nothing new
    assert again.json()["number"] == 4 and len(history(client, model["id"])) == 4
    undo = client.post(f"{MODELS}/{model['id']}/revisions/3/restore").json()
    assert undo["number"] == 5 and set(components_by_name(client, model["id"])) == {"const", "amp", "spare"}


def test_restoring_needs_the_engineer_role_and_the_endpoints_as_they_were(
    client: TestClient, session: Session
) -> None:
    add_user(session, "erin")
    add_user(session, "otto")
    erin = login(client, "erin")
    project = post(client, erin, "projects", name="line-9")
    document = {**constant_gain(), "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
                "bindings": [{"port": "g.out", "endpoint": "plc", "node_id": "ns=2;s=G", "direction": "write"}]}
    model_id = client.post(f"{MODELS}/import?project_id={project['id']}", json=document, headers=erin).json()["id"]
    g = next(c for c in client.get(f"/api/v1/components?machine_model_id={model_id}", headers=erin).json()["items"]
             if c["name"] == "g")  # fmt: skip
    client.patch(f"/api/v1/components/{g['id']}", json={"parameters": {"k": 3.0}}, headers=erin)
    add_member(client, erin, project["id"], "otto", "operator")
    assert_error(client.post(f"{MODELS}/{model_id}/revisions/1/restore", headers=login(client, "otto")), 403)
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}", headers=erin).json()["items"][0]
    client.patch(f"/api/v1/endpoints/{endpoint['id']}", json={"url": "opc.tcp://127.0.0.1:4999"}, headers=erin)
    refused = assert_error(client.post(f"{MODELS}/{model_id}/revisions/1/restore", headers=erin), 409,
                           "endpoint_mismatch")  # fmt: skip
    assert "4999" in refused["message"]
    assert [r["number"] for r in history(client, model_id, erin)] == [2, 1]  # nothing half-restored
