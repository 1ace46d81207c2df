"""Sign-in, tokens, cookies with CSRF, the setup link, admin-only routes, rate limiting."""

from __future__ import annotations

import re

from tests.server.conftest import PASSWORD, Server


def test_health_needs_no_sign_in_and_reports_setup(server: Server) -> None:
    response = server.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["needs_setup"] is True


def api_routes(server: Server) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI schema, with ids filled in."""
    schema = server.client.get("/api/v1/openapi.json").json()
    routes: list[tuple[str, str]] = []
    for template, operations in schema["paths"].items():
        path = re.sub(r"\{[^}]+\}", "0123456789abcdef01234567", template)
        routes.extend((method.upper(), path) for method in operations)
    return routes


def test_every_route_but_health_and_sign_in_answers_401_without_a_token(server: Server) -> None:
    public = {"/api/v1/health", "/api/v1/auth/token", "/api/v1/auth/login", "/api/v1/auth/setup"}
    checked = 0
    for method, path in api_routes(server):
        if path in public:
            continue
        response = server.client.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["detail"].startswith("sign in first")
        assert response.headers["www-authenticate"] == "Bearer"
        checked += 1
    assert checked >= 30


def test_a_wrong_or_expired_token_is_401(server: Server) -> None:
    response = server.client.get("/api/v1/datasets", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "sign in again" in response.json()["detail"]


def test_password_flow_returns_a_bearer_token(server: Server, alice: dict[str, str]) -> None:
    response = server.client.post(
        "/api/v1/auth/token", data={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) > 30
    me = server.client.get("/api/v1/auth/me", headers=alice).json()
    assert me["user"]["username"] == "alice" and me["user"]["is_admin"] is True
    assert me["csrf_token"] is None


def test_wrong_password_is_401_and_repeated_failures_are_rate_limited(
    server: Server, alice: dict[str, str]
) -> None:
    bad = {"username": "alice", "password": "wrong password"}
    for _ in range(server.settings.signin_attempts):
        response = server.client.post("/api/v1/auth/token", data=bad)
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong user name or password"}
    response = server.client.post("/api/v1/auth/token", data=bad)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    # Even the right password waits now, so guessing gains nothing.
    good = {"username": "alice", "password": PASSWORD}
    assert server.client.post("/api/v1/auth/token", data=good).status_code == 429


def test_logout_revokes_a_bearer_token(server: Server, alice: dict[str, str]) -> None:
    assert server.client.post("/api/v1/auth/logout", headers=alice).status_code == 204
    assert server.client.get("/api/v1/datasets", headers=alice).status_code == 401


def test_browser_session_cookie_is_httponly_and_needs_csrf_for_changes(
    server: Server, alice: dict[str, str]
) -> None:
    client = server.client
    response = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("synthera_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    csrf = response.json()["csrf_token"]
    assert client.get("/api/v1/datasets").status_code == 200  # reading needs no CSRF value
    files = {"file": ("a.csv", b"x,y\n1,2\n3,4\n5,6\n")}
    refused = client.post("/api/v1/datasets", files=files)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/v1/datasets", files=files, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    accepted = client.post("/api/v1/datasets", files=files, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text
    assert client.get("/api/v1/auth/me").json()["csrf_token"] == csrf
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/datasets").status_code == 401


def test_setup_link_creates_the_first_admin_once(server: Server) -> None:
    token = server.context.setup_token
    assert token
    body = {"token": "wrong", "username": "root", "password": PASSWORD}
    assert server.client.post("/api/v1/auth/setup", json=body).status_code == 403
    short = {"token": token, "username": "root", "password": "short"}
    response = server.client.post("/api/v1/auth/setup", json=short)
    assert response.status_code == 422 and "8 characters" in response.json()["detail"]
    response = server.client.post("/api/v1/auth/setup", json={**body, "token": token})
    assert response.status_code == 201
    assert response.json()["user"]["is_admin"] is True
    assert server.client.get("/api/v1/health").json()["needs_setup"] is False
    again = server.client.post("/api/v1/auth/setup", json={**body, "token": token})
    assert again.status_code == 409


def test_only_admins_manage_users(
    server: Server, alice: dict[str, str], bob: dict[str, str]
) -> None:
    new = {"username": "carol", "password": PASSWORD}
    assert server.client.post("/api/v1/users", json=new, headers=bob).status_code == 403
    assert server.client.get("/api/v1/users", headers=bob).status_code == 403
    assert server.client.post("/api/v1/users", json=new, headers=alice).status_code == 201
    again = server.client.post("/api/v1/users", json=new, headers=alice)
    assert again.status_code == 422 and "already exists" in again.json()["detail"]
    names = [u["username"] for u in server.client.get("/api/v1/users", headers=alice).json()]
    assert names == ["alice", "bob", "carol"]
