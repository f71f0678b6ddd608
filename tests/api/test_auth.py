"""Sign-in, sessions, API tokens (expiry, revocation, limits), local single-user mode and the 401 shape."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.auth import ApiToken
from app.db.base import utcnow
from tests.api.auth_support import PASSWORD, add_member, add_user, bearer, login, post
from tests.conftest import assert_error


def test_without_users_everything_works_as_the_local_user(client: TestClient) -> None:
    assert client.get("/api/v1/projects").status_code == 200
    me = client.get("/api/v1/auth/me").json()
    assert me["mode"] == "local" and me["user"] is None


def test_once_a_user_exists_every_api_route_needs_a_session_or_token(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    error = assert_error(client.get("/api/v1/projects"), 401, "unauthorized")
    assert "sign in" in error["message"]
    assert client.get("/api/v1/projects").headers["www-authenticate"] == "Bearer"
    assert_error(client.get("/api/v1/component-types"), 401)
    assert_error(client.post("/api/v1/projects", json={"name": "x"}), 401)
    assert client.get("/health").status_code == 200  # liveness stays open
    assert_error(client.get("/api/v1/projects", headers=bearer("dts_forged")), 401, "invalid_token")


def test_sign_in_gives_a_token_and_an_httponly_strict_cookie(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    response = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("dts_") and body["user"]["username"] == "alice" and "password" not in str(body)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/api/v1/auth/me").json()["user"]["username"] == "alice"  # by the cookie
    client.cookies.clear()
    me = client.get("/api/v1/auth/me", headers=bearer(body["token"])).json()
    assert me["mode"] == "multi-user" and me["projects"] == []


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    wrong = client.post("/api/v1/auth/login", json={"username": "alice", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "mallory", "password": "nope-nope"})
    assert assert_error(wrong, 401, "invalid_credentials") == assert_error(unknown, 401, "invalid_credentials")


def test_sign_out_ends_the_session_at_once(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    headers = login(client, "alice")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_error(client.get("/api/v1/projects", headers=headers), 401, "invalid_token")


def test_password_change_ends_the_other_sessions_only(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    laptop, phone = login(client, "alice"), login(client, "alice")
    wrong = client.post("/api/v1/auth/password", json={"current_password": "x" * 8, "new_password": "n" * 12},
                        headers=laptop)
    assert_error(wrong, 403, "wrong_password")
    changed = client.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "n" * 12},
                          headers=laptop)
    assert changed.status_code == 204
    assert client.get("/api/v1/projects", headers=laptop).status_code == 200
    assert_error(client.get("/api/v1/projects", headers=phone), 401)
    assert login(client, "alice", "n" * 12)


def test_deactivated_user_is_signed_out_and_their_tokens_refused(client: TestClient, session: Session) -> None:
    add_user(session, "root", admin=True)
    alice_id = add_user(session, "alice")
    root, alice = login(client, "root"), login(client, "alice")
    token = post(client, alice, "tokens", name="ci")["token"]
    response = client.patch(f"/api/v1/users/{alice_id}", json={"is_active": False}, headers=root)
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert_error(client.get("/api/v1/projects", headers=alice), 401)
    assert_error(client.get("/api/v1/projects", headers=bearer(token)), 401)
    assert_error(client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}), 401)


def test_api_token_is_shown_once_and_stored_hashed(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    alice = login(client, "alice")
    created = post(client, alice, "tokens", name="ci")
    assert created["token"].startswith("dtw_") and created["prefix"] == created["token"][:10]
    listed = client.get("/api/v1/tokens", headers=alice).json()
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    stored = session.get(ApiToken, created["id"])
    assert stored is not None and created["token"] not in stored.token_hash
    assert client.get("/api/v1/auth/me", headers=bearer(created["token"])).json()["token_id"] == created["id"]


def test_revoked_token_stops_working_at_once(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    alice = login(client, "alice")
    created = post(client, alice, "tokens", name="ci")
    assert client.get("/api/v1/projects", headers=bearer(created["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=alice).status_code == 204
    assert_error(client.get("/api/v1/projects", headers=bearer(created["token"])), 401, "invalid_token")
    assert client.get("/api/v1/tokens", headers=alice).json()[0]["state"] == "revoked"


def test_expired_token_is_refused(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    alice = login(client, "alice")
    created = post(client, alice, "tokens", name="ci", expires_days=1)
    assert client.get("/api/v1/projects", headers=bearer(created["token"])).status_code == 200
    session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert_error(client.get("/api/v1/projects", headers=bearer(created["token"])), 401, "invalid_token")
    assert client.get("/api/v1/tokens", headers=alice).json()[0]["state"] == "expired"


def test_other_users_tokens_cannot_be_seen_or_revoked(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    add_user(session, "bob")
    alice, bob = login(client, "alice"), login(client, "bob")
    theirs = post(client, bob, "tokens", name="bob's")
    assert client.get("/api/v1/tokens", headers=alice).json() == []
    assert_error(client.delete(f"/api/v1/tokens/{theirs['id']}", headers=alice), 404)
    assert client.get("/api/v1/projects", headers=bearer(theirs["token"])).status_code == 200


def test_token_limited_to_a_project_and_role(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    alice = login(client, "alice")
    first = post(client, alice, "projects", name="line-1")
    second = post(client, alice, "projects", name="line-2")
    token = bearer(post(client, alice, "tokens", project_id=first["id"], role="observer")["token"])
    listed = client.get("/api/v1/projects", headers=token).json()
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    assert_error(client.get(f"/api/v1/projects/{second['id']}", headers=token), 404)
    denied = client.post("/api/v1/machine-models", json={"project_id": first["id"], "name": "m"}, headers=token)
    assert assert_error(denied, 403, "forbidden")["details"][0]["role"] == "observer"
    assert_error(client.post("/api/v1/projects", json={"name": "line-3"}, headers=token), 403)
    # A token cannot mint a token beyond its own limits.
    minted = post(client, token, "tokens", project_id=first["id"], role="admin")
    assert minted["role"] == "observer"


def test_project_creator_is_its_admin_and_adds_members(client: TestClient, session: Session) -> None:
    add_user(session, "alice")
    add_user(session, "bob")
    alice, bob = login(client, "alice"), login(client, "bob")
    project = post(client, alice, "projects", name="line-1")
    assert_error(client.get(f"/api/v1/projects/{project['id']}", headers=bob), 404)
    add_member(client, alice, project["id"], "bob", "engineer")
    assert client.get(f"/api/v1/projects/{project['id']}", headers=bob).status_code == 200
    members = client.get(f"/api/v1/projects/{project['id']}/members", headers=alice).json()
    assert [(m["username"], m["role"]) for m in members] == [("alice", "admin"), ("bob", "engineer")]
    last = client.put(f"/api/v1/projects/{project['id']}/members/alice", json={"role": "observer"}, headers=alice)
    assert_error(last, 409, "last_admin")
    me = client.get("/api/v1/auth/me", headers=bob).json()
    assert me["projects"] == [{"project_id": project["id"], "name": "line-1", "role": "engineer"}]


def test_users_are_managed_by_platform_admins_only(client: TestClient, session: Session) -> None:
    add_user(session, "root", admin=True)
    add_user(session, "alice")
    root, alice = login(client, "root"), login(client, "alice")
    assert_error(client.get("/api/v1/users", headers=alice), 403)
    assert_error(client.post("/api/v1/users", json={"username": "eve", "password": "p" * 10}, headers=alice), 403)
    created = post(client, root, "users", username="carol", password="p" * 10)
    assert created["username"] == "carol" and "password" not in str(created)
    assert login(client, "carol", "p" * 10)
    short = client.post("/api/v1/users", json={"username": "dave", "password": "short"}, headers=root)
    assert_error(short, 422)


def test_first_user_may_be_created_over_the_api_in_local_mode(client: TestClient) -> None:
    created = client.post("/api/v1/users", json={"username": "root", "password": "p" * 10, "is_admin": True})
    assert created.status_code == 201
    assert_error(client.get("/api/v1/projects"), 401)  # local mode is over


def test_openapi_declares_the_security_schemes_and_401_on_every_protected_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"token", "session cookie"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not path.startswith("/api/v1") or path == "/api/v1/auth/login":
                continue
            assert operation.get("security") == [{"token": []}, {"session cookie": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
