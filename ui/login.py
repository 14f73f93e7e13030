"""The sign-in form and sign-out: GET/POST /login, POST /logout.

POST /login takes the browser's form (then redirects to the page asked
for) or JSON ``{"user", "password"}`` from a script (then answers JSON);
either way a session cookie: random, HttpOnly, SameSite=Strict, expiring.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .auth import COOKIE, Auth, SignInRefused
from .errors import error_response
from .i18n import TEXT, browser_language

STYLE = """
body { font-family: system-ui, "Apple SD Gothic Neo", "Malgun Gothic", sans-serif; background: #f4f4f5;
       display: flex; justify-content: center; align-items: center; min-height: 90vh; margin: 0; }
form { background: #fff; padding: 28px 32px; border-radius: 10px; box-shadow: 0 1px 4px #0002; width: 320px; }
h1 { font-size: 1.25em; margin: 0 0 18px; }
label { display: block; margin: 10px 0 4px; font-size: 0.9em; }
input { width: 100%; box-sizing: border-box; padding: 8px; border: 1px solid #ccc; border-radius: 6px; }
button { margin-top: 18px; width: 100%; padding: 9px; border: 0; border-radius: 6px; background: #c2410c;
         color: #fff; font-weight: 600; cursor: pointer; }
.error { background: #fee2e2; color: #991b1b; padding: 8px 10px; border-radius: 6px; font-size: 0.9em; }
"""


def router(auth: Auth) -> APIRouter:
    routes = APIRouter()

    @routes.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def form(request: Request, next: str = "/") -> HTMLResponse:
        return _page(request, _local(next))

    @routes.post("/login", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        is_json = request.headers.get("content-type", "").startswith("application/json")
        try:
            fields = dict(await request.json()) if is_json else dict(await request.form())
        except (ValueError, TypeError):
            return error_response(400, "bad_request", 'send {"user": ..., "password": ...}')
        name, password = str(fields.get("user", "")).strip(), str(fields.get("password", ""))
        target = _local(str(fields.get("next", "/")))
        words = TEXT[browser_language(request.headers.get("accept-language"))]
        try:
            if not name or not password:
                raise SignInRefused(400, "missing")
            signed_in = auth.sign_in(name, password, request.client.host if request.client else "")
        except SignInRefused as refusal:
            message = words[f"login_{refusal.message}"].format(minutes=-(-(refusal.retry_after or 0) // 60))
            headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
            if is_json:
                return error_response(refusal.status, refusal.message, message, headers=headers)
            return _page(request, target, message, refusal.status, headers)
        response: Response = (JSONResponse({"user": signed_in.user}) if is_json
                              else RedirectResponse(target, status_code=303))
        response.set_cookie(COOKIE, signed_in.token, max_age=int(auth.sessions.seconds), path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    @routes.post("/logout", include_in_schema=False)
    def sign_out(request: Request) -> RedirectResponse:
        auth.sign_out(request)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    return routes


def _local(target: str) -> str:
    """Where to go after signing in: a path on this server only (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _page(request: Request, target: str, error: str = "", status: int = 200,
          headers: dict[str, str] | None = None) -> HTMLResponse:
    code = browser_language(request.headers.get("accept-language"))
    words = TEXT[code]
    notice = f"<p class='error' role='alert'>{html.escape(error)}</p>" if error else ""
    body = f"""<!doctype html><html lang="{code}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(words['title'])}</title>
<style>{STYLE}</style></head><body>
<form method="post" action="/login"><h1>{html.escape(words['title'])}</h1>{notice}
<input type="hidden" name="next" value="{html.escape(target)}">
<label for="user">{html.escape(words['login_user'])}</label>
<input id="user" name="user" autocomplete="username" required autofocus>
<label for="password">{html.escape(words['login_password'])}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{html.escape(words['login_submit'])}</button></form></body></html>"""
    return HTMLResponse(body, status_code=status, headers=headers)
