"""Sign-in in front of every route: each one the app has, enumerated from the app itself, refuses a request
without a session, except the sign-in form; sign-out ends the session; file routes do not walk out of their
folders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from chatbot import Conversations
from settings import Settings
from tests.helpers import Client, password
from ui.auth import Auth
from ui.server import create_app


def routes(app, prefix: str = "") -> list[tuple[str, set[str]]]:
    """(path, methods) of every HTTP route, mounted sub-apps included; websocket routes as method WS."""
    found = []
    for route in app.routes:
        if hasattr(route, "original_router"):  # FastAPI's included router: its routes, under its prefix
            found += routes(route.original_router, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            found += routes(route.app, prefix + route.path)
        elif isinstance(route, WebSocketRoute):
            found.append((prefix + route.path, {"WS"}))
        elif isinstance(route, Route):
            methods = set(route.methods or {"GET"})
            found.append((prefix + route.path, methods - {"HEAD"} or methods))
    return found


@pytest.fixture(scope="module")
def app_routes(engine, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, set[str]]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("routes"), auth=True)
    return routes(create_app(engine, Auth(settings), Conversations(settings.conversations_path), settings))


def test_every_route_needs_a_session_except_the_sign_in_form(server: str, app_routes) -> None:
    anonymous = Client(server)
    checked = 0
    paths = {path for path, _ in app_routes}
    assert {"/api/ask", "/api/docs", "/login", "/logout", "/gradio_api/queue/join", "/", "/source", "/source/file",
            "/conversations/{conversation}.md"} <= paths
    for path, methods in app_routes:
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        for method in methods - {"WS"}:
            reply = anonymous.request(method, concrete, headers={"Accept": "application/json"})
            if path == "/login":
                assert reply.status in (200, 400), (method, path)
            else:
                assert reply.status == 401, (method, path, reply.status)
                assert method == "HEAD" or reply.json()["error"]["code"] == "unauthorized"
            checked += 1
    assert checked >= len(app_routes)
    # A browser asking for a page is sent to the form, and back where it was going afterwards.
    page = anonymous.get("/api/docs", headers={"Accept": "text/html"})
    assert page.status == 303 and page.headers["Location"] == "/login?next=/api/docs"
    assert anonymous.get("/login").status == 200


def test_wrong_password_fails_and_sign_out_ends_the_session(server: str) -> None:
    assert Client(server).sign_in("staff", "wrong password").status == 401
    client = Client(server).signed_in("staff", password("staff"))
    cookie = next(c for c in client.cookies if c.name == "rag_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.expires is not None
    assert client.get("/api/health").status == 200
    bye = client.post("/logout")
    assert bye.status == 303 and bye.headers["Location"] == "/login"
    assert client.get("/api/health").status == 401
    replay = Client(server)  # the old token, kept by someone: the session is over for them too
    replay.cookies.set_cookie(cookie)
    assert replay.get("/api/health").status == 401


def test_a_session_cookie_is_http_only_and_same_site_strict(server: str) -> None:
    reply = Client(server).sign_in("staff", password("staff"))
    header = reply.headers["Set-Cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "max-age=43200" in header


def test_a_redirect_after_sign_in_stays_on_this_server(server: str) -> None:
    for target, expected in (("/api/docs", "/api/docs"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        form = {"user": "staff", "password": password("staff"), "next": target}
        reply = Client(server).request("POST", "/login", form=form)
        assert reply.status == 303 and reply.headers["Location"] == expected


@pytest.mark.parametrize("path", [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/file=/etc/passwd",
    "/gradio_api/static/../../../../../etc/passwd",
    "/assets/..%2f..%2f..%2f..%2fsettings.py",
    "/gradio_api/file=" + str(Path(__file__).resolve()),
])
def test_file_routes_do_not_leave_their_folders(staff: Client, path: str) -> None:
    reply = staff.get(path)
    assert reply.status in (400, 403, 404, 405), (path, reply.status)
    assert "root:x:0:0" not in reply.text and "Traceback" not in reply.text and "def test_" not in reply.text


@pytest.mark.parametrize("host, auth, required", [
    ("127.0.0.1", None, False), ("::1", None, False), ("localhost", None, False),
    ("0.0.0.0", None, True), ("10.1.2.3", None, True), ("rag.example.internal", None, True),
    ("0.0.0.0", False, False), ("127.0.0.1", True, True),
])
def test_sign_in_is_on_by_default_when_the_server_is_reachable_from_elsewhere(host, auth, required) -> None:
    assert Settings(host=host, auth=auth).auth_required is required


def test_bad_access_settings_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("RAG_TRUSTED_PROXIES", "10.0.0.0/8, not-an-address")
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings()
    monkeypatch.setenv("RAG_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    with pytest.raises(ValidationError, match="invalid group name 'h r'"):
        Settings(default_groups="staff, h r")
