"""Sign-in: who is asking, on every route of the server.

A request is someone's when it carries a live session cookie, or — with
single sign-on — when a trusted proxy (RAG_TRUSTED_PROXIES) names the user
in RAG_TRUSTED_HEADER. Everything but the sign-in form needs one of them
(``RequireSignIn``): the page, Gradio's queue and file routes, /api, the
OpenAPI docs. Failed sign-ins are limited per user name and per address,
and say nothing about whether the user exists.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from urllib.parse import quote

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from chatbot import UNRESTRICTED, Reader, Sessions, UsersError, UsersFile
from settings import EVERYONE, Settings

log = logging.getLogger(__name__)

COOKIE = "rag_session"
# Whose saved chats a request sees when sign-in is off: one browser's, named by this cookie.
BROWSER_COOKIE = "rag_browser"
BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{22}")
BROWSER_COOKIE_DAYS = 400  # the longest a browser keeps a cookie
LOCAL = replace(UNRESTRICTED, name="local")  # who asks when sign-in is off: the server is on loopback
PUBLIC_PATHS = frozenset({"/login"})  # the sign-in form inlines its style: it needs no other route


class SignInRefused(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class FailureLimit:
    """At most ``attempts`` failures per key within ``window`` seconds; keys are a user name and an address."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, keys: list[str]) -> int:
        """Seconds until these keys may try again; 0 when they may now."""
        now = time.monotonic()
        with self._lock:
            waits = [0.0]
            for key in keys:
                failures = self._failures.get(key, deque())
                while failures and failures[0] <= now - self.window:
                    failures.popleft()
                if len(failures) >= self.attempts:
                    waits.append(failures[0] + self.window - now)
            return int(max(waits) + 0.999)

    def fail(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(time.monotonic())

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass(frozen=True)
class SignedIn:
    user: str
    token: str


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.required = settings.auth_required
        self._admin_group = settings.admin_group
        self.users = UsersFile(settings.users_path)
        self.sessions = Sessions(settings.sessions_path, settings.session_hours)
        self.limit = FailureLimit(settings.login_attempts, settings.login_window_minutes * 60)
        self._header = settings.trusted_header
        self._proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]

    def reader(self, connection: HTTPConnection) -> Reader | None:
        """Who sent this request; None when no one is signed in. Without sign-in required, the local user
        (the server listens on loopback only), who reads everything."""
        if not self.required:
            return LOCAL
        proxy_user = self._proxy_user(connection)
        name = proxy_user or self.sessions.user(connection.cookies.get(COOKIE, ""))
        if name is None:
            return None
        try:
            user = self.users.get(name)
        except UsersError as error:  # a broken users file and no good copy read before
            log.error("%s", error)
            return None
        if user is not None:
            return user.reader(self._admin_group)
        # A single sign-on user the users file does not list reads what everyone may.
        return Reader(name, frozenset({EVERYONE})) if proxy_user else None

    def sign_in(self, name: str, password: str, address: str) -> SignedIn:
        keys = [f"user:{name.casefold()}", f"address:{address}"]
        if wait := self.limit.wait(keys):
            log.warning("sign-in refused for %r from %s: too many failures", name, address)
            raise SignInRefused(429, "too_many", retry_after=wait)
        try:
            user = self.users.verify(name, password)
        except UsersError as error:
            log.error("sign-in impossible: %s", error)
            raise SignInRefused(503, "users_broken") from None
        if user is None:
            self.limit.fail(keys)
            log.warning("sign-in failed for %r from %s", name, address)
            raise SignInRefused(401, "wrong")
        self.limit.clear(keys[0])
        return SignedIn(user.name, self.sessions.create(user.name))

    def sign_out(self, connection: HTTPConnection) -> None:
        self.sessions.end(connection.cookies.get(COOKIE, ""))

    def _proxy_user(self, connection: HTTPConnection) -> str | None:
        if not self._header or self._header not in connection.headers:
            return None
        address = connection.client.host if connection.client else ""
        try:
            trusted = any(ipaddress.ip_address(address) in network for network in self._proxies)
        except ValueError:
            trusted = False
        if not trusted:
            log.warning("ignored %s from %s: not a trusted proxy (RAG_TRUSTED_PROXIES)", self._header, address)
            return None
        return connection.headers[self._header].strip() or None


class RequireSignIn:
    """ASGI middleware: a request with no signed-in user is turned away before any route sees it —
    a page load to the sign-in form (303), anything else with 401 and a JSON error.

    A request let through carries its reader (whose groups its searches
    run for) and its owner (whose saved chats it sees: the signed-in user,
    or with sign-in off the browser, which gets a cookie naming it)."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        reader = self.auth.reader(connection)
        if reader is not None:
            state = scope.setdefault("state", {})
            state["reader"] = reader
            if self.auth.required:
                state["owner"] = f"user:{reader.name}"
            else:
                browser = connection.cookies.get(BROWSER_COOKIE, "")
                if not BROWSER_ID.fullmatch(browser):
                    browser = secrets.token_urlsafe(16)
                    send = _setting_cookie(send, f"{BROWSER_COOKIE}={browser}; Path=/; HttpOnly; SameSite=Lax; "
                                                 f"Max-Age={BROWSER_COOKIE_DAYS * 86400}")
                state["owner"] = f"browser:{browser}"
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif scope.get("method") == "GET" and "text/html" in connection.headers.get("accept", ""):
            target = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            await RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)(scope, receive, send)
        else:
            body = {"error": {"code": "unauthorized", "message": "sign in first (POST /login)"}}
            await JSONResponse(body, status_code=401)(scope, receive, send)


def _setting_cookie(send: Send, cookie: str) -> Send:
    """``send`` with this Set-Cookie added to the response's headers."""
    async def sending(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
        await send(message)
    return sending
