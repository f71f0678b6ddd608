"""Projects CRUD and pagination."""

from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


def test_create_project_returns_201_with_timestamps(client: TestClient) -> None:
    project = create(client, "projects", name="p", description="d")
    assert project["name"] == "p" and project["description"] == "d"
    assert project["created_at"] and project["updated_at"]


def test_get_project_returns_what_was_created(client: TestClient) -> None:
    project = create(client, "projects", name="p")
    assert client.get(f"/api/v1/projects/{project['id']}").json() == project


def test_list_projects_paginates_with_total(client: TestClient) -> None:
    for i in range(7):
        create(client, "projects", name=f"p{i}")
    page = client.get("/api/v1/projects?limit=3&offset=5").json()
    assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == 5
    assert [p["name"] for p in page["items"]] == ["p5", "p6"]


def test_list_limit_above_maximum_is_422(client: TestClient) -> None:
    assert_error(client.get("/api/v1/projects?limit=5000"), 422, "validation_error")


def test_patch_project_changes_only_sent_fields(client: TestClient) -> None:
    project = create(client, "projects", name="p", description="keep")
    updated = client.patch(f"/api/v1/projects/{project['id']}", json={"name": "q"}).json()
    assert updated["name"] == "q" and updated["description"] == "keep"


def test_patch_project_name_to_null_is_422(client: TestClient) -> None:
    project = create(client, "projects", name="p")
    assert_error(client.patch(f"/api/v1/projects/{project['id']}", json={"name": None}), 422, "validation_error")


def test_patch_project_to_existing_name_is_409(client: TestClient) -> None:
    create(client, "projects", name="a")
    b = create(client, "projects", name="b")
    assert_error(client.patch(f"/api/v1/projects/{b['id']}", json={"name": "a"}), 409, "duplicate_name")


def test_delete_project_returns_204_then_404(client: TestClient) -> None:
    project = create(client, "projects", name="p")
    response = client.delete(f"/api/v1/projects/{project['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_error(client.get(f"/api/v1/projects/{project['id']}"), 404)


def test_patch_missing_project_is_404(client: TestClient) -> None:
    assert_error(client.patch("/api/v1/projects/42", json={"name": "x"}), 404, "not_found")


def test_health_reports_ok(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
