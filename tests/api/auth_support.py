"""Helpers of the authentication tests: users made through the service, sign-in through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import auth

PASSWORD = "correct horse battery"


def add_user(session: Session, username: str, admin: bool = False) -> int:
    user = auth.create_user(session, username, PASSWORD, is_admin=admin)
    session.commit()
    return user.id


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in and return the bearer header; the cookie is dropped so each request says who it is."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: TestClient, headers: dict[str, str], path: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def add_member(client: TestClient, admin: dict[str, str], project_id: int, username: str, role: str) -> None:
    response = client.put(f"/api/v1/projects/{project_id}/members/{username}", json={"role": role}, headers=admin)
    assert response.status_code in (200, 201), response.text
