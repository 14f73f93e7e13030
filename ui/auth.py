"""Sign-in: who is asking, on every route of the server.

A request is someone's when it carries a live session cookie, or — with
single sign-on — when a trusted proxy (RAG_TRUSTED_PROXIES) names the user
in RAG_TRUSTED_HEADER. Everything but the sign-in form needs one of them
(``RequireSignIn``): the page, Gradio's queue and file routes, /api, the
OpenAPI docs. Failed sign-ins are limited per user name and per address,
and say nothing about whether the user exists.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import re
import secrets
from dataclasses import dataclass, replace
from urllib.parse import quote

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from chatbot import (
    UNRESTRICTED, ApiKeys, Directory, DirectoryAccount, DirectoryAccounts, DirectoryUnavailable, Reader, Sessions,
    StateUnavailable, UsersError, open_users,
)
from settings import EVERYONE, Settings

from .errors import error_response
from .i18n import TEXT, browser_language
from .limits import window_limit

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


@dataclass(frozen=True)
class Caller:
    reader: Reader
    key: str | None = None  # the API key's id, when the request came with one


@dataclass(frozen=True)
class SignedIn:
    user: str
    token: str


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.required = settings.auth_required
        self._admin_group = settings.admin_group
        self.users = open_users(settings)
        self.sessions = Sessions(settings.sessions_path, settings.session_hours, settings.database_url)
        self.keys = ApiKeys(settings.keys_path, settings.database_url)
        self.limit = window_limit(settings, "login", settings.login_attempts, settings.login_window_minutes * 60)
        self._header = settings.trusted_header
        self._proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
        # The company directory, when configured: its users sign in with its passwords; their groups are
        # kept as last seen and read again every LDAP_REFRESH_MINUTES.
        self.directory = Directory(settings) if settings.ldap_url else None
        self.directory_accounts = (DirectoryAccounts(settings.directory_accounts_path, settings.database_url)
                                   if self.directory else None)
        self._refresh_seconds = settings.ldap_refresh_minutes * 60

    def caller(self, connection: HTTPConnection) -> Caller | None:
        """Who sent this request; None when no one is signed in, or the API key it carries is not live.
        An API key (``Authorization: Bearer rag-...``) acts as its user, sign-in on or off. Otherwise,
        without sign-in required, the local user (the server listens on loopback only), who reads
        everything."""
        key = _bearer(connection)
        if key is not None:
            return self._key_caller(key)
        reader = self._reader(connection)
        return Caller(reader) if reader else None

    def _key_caller(self, key: str) -> Caller | None:
        found = self.keys.user_of(key)
        if found is None:
            return None
        key_id, name = found
        reader = self._user_reader(name)
        return Caller(reader, key_id) if reader else None  # a removed user's keys are dead

    def _reader(self, connection: HTTPConnection) -> Reader | None:
        if not self.required:
            return LOCAL
        proxy_user = self._proxy_user(connection)
        name = proxy_user or self.sessions.user(connection.cookies.get(COOKIE, ""))
        if name is None:
            return None
        reader = self._user_reader(name)
        if reader is not None:
            return reader
        # A single sign-on user the users file does not list reads what everyone may.
        return Reader(name, frozenset({EVERYONE})) if proxy_user else None

    def _user_reader(self, name: str) -> Reader | None:
        """What a signed-in name (a session's, an API key's) may read: a local user's groups, or a directory
        user's as last seen, read again when older than LDAP_REFRESH_MINUTES; None for no such user."""
        try:
            user = self.users.get(name)
        except UsersError as error:  # a broken users file and no good copy read before
            log.error("%s", error)
            return None
        if user is not None:
            return user.reader(self._admin_group)
        if self.directory is None or self.directory_accounts is None:
            return None
        account = self.directory_accounts.get(name)
        if account is not None and account.older_than(self._refresh_seconds):
            account = self._refreshed(account)
        return Reader.member(name, account.groups, self._admin_group) if account else None

    def _refreshed(self, account: DirectoryAccount) -> DirectoryAccount | None:
        """The account as the directory has it now; None once it is gone or disabled. While the directory
        cannot be asked, the groups last seen hold (a sign-in still needs it)."""
        try:
            found = self.directory.lookup(account.name)
        except DirectoryUnavailable as error:
            log.error("groups of %r not refreshed: %s", account.name, error)
            return account
        if found is None:
            log.warning("directory user %r is gone or disabled: signed out", account.name)
            self.directory_accounts.forget(account.name)
            return None
        return self.directory_accounts.seen(account.name, found.groups)

    def sign_in(self, name: str, password: str, address: str) -> SignedIn:
        keys = [f"user:{name.casefold()}", f"address:{address}"]
        if wait := self.limit.wait(keys):
            log.warning("sign-in refused for %r from %s: too many failures", name, address)
            raise SignInRefused(429, "too_many", retry_after=wait)
        try:
            signed = self._verified(name, password)
        except UsersError as error:
            log.error("sign-in impossible: %s", error)
            raise SignInRefused(503, "users_broken") from None
        except DirectoryUnavailable as error:
            log.error("sign-in of %r impossible: %s", name, error)
            raise SignInRefused(503, "directory_down") from None
        if signed is None:
            self.limit.record(keys)
            log.warning("sign-in failed for %r from %s", name, address)
            raise SignInRefused(401, "wrong")
        self.limit.clear(keys[0])
        try:
            return SignedIn(signed, self.sessions.create(signed))
        except StateUnavailable as error:
            log.error("sign-in of %r impossible: %s", name, error)
            raise SignInRefused(503, "state_down") from None

    def _verified(self, name: str, password: str) -> str | None:
        """The signed-in name: a local user (users file) by their password there; any other name by the
        directory's, when one is configured — a directory name never falls back to a local password."""
        if self.users.get(name) is not None or self.directory is None or self.directory_accounts is None:
            user = self.users.verify(name, password)
            return user.name if user else None
        found = self.directory.authenticate(name, password)
        if found is None:
            return None
        self.directory_accounts.seen(found.name, found.groups)
        return found.name

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
        try:
            caller = self.auth.caller(connection)
        except StateUnavailable as error:  # sessions and keys live on a database server that is down
            await unavailable(connection, error)(scope, receive, send)
            return
        if caller is not None:
            reader = caller.reader
            state = scope.setdefault("state", {})
            state["reader"] = reader
            # Whose requests count together against the rate limit: a key's own, or its user's.
            state["limit_key"] = f"key:{caller.key}" if caller.key else f"user:{reader.name}"
            if self.auth.required or caller.key:
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
        elif _bearer(connection) is not None:
            refusal = error_response(401, "invalid_api_key", "the API key is unknown or revoked",
                                     headers={"WWW-Authenticate": "Bearer"})
            await refusal(scope, receive, send)
        elif scope.get("method") == "GET" and "text/html" in connection.headers.get("accept", ""):
            target = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            await RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)(scope, receive, send)
        else:
            refusal = error_response(401, "unauthorized", "sign in first (POST /login), or send an API key "
                                     "(Authorization: Bearer ...)", headers={"WWW-Authenticate": "Bearer"})
            await refusal(scope, receive, send)


def unavailable(connection: HTTPConnection, error: StateUnavailable) -> Response:
    """503 while the database cannot be reached — a page saying so to a browser, the error shape to a client —
    wherever the request found it down (signing in, a route, the rate limit); the log says why."""
    log.error("request refused: %s", error)
    headers = {"Retry-After": "5"}
    if "text/html" in connection.headers.get("accept", ""):
        code = browser_language(connection.headers.get("accept-language"))
        return HTMLResponse(f'<!doctype html><html lang="{code}"><meta charset="utf-8"><p role="alert">'
                            f'{html.escape(TEXT[code]["state_down"])}</p></html>', status_code=503, headers=headers)
    return error_response(503, "state_unavailable", TEXT["en"]["state_down"], headers=headers)


def _setting_cookie(send: Send, cookie: str) -> Send:
    """``send`` with this Set-Cookie added to the response's headers."""
    async def sending(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
        await send(message)
    return sending


def _bearer(connection: HTTPConnection) -> str | None:
    """The API key of an ``Authorization: Bearer ...`` header; None without one."""
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None
