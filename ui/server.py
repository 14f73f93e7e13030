"""One process serving the chat page at /, the HTTP API at /api and the OpenAI-compatible API at /v1,
sharing one engine.

Every route but the sign-in form goes through RequireSignIn (ui/auth.py),
which puts the signed-in reader on the request for the routes to search as.
"""

from __future__ import annotations

import logging
import signal
import sys

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from chatbot import Admin, AuditLog, ChatEngine, Conversations, FeedbackStore, LLMUnavailable, StateUnavailable
from settings import Settings

from . import admin, api, chat, conversations, login, openai_api, reading
from .api import RateLimited
from .auth import Auth, RequireSignIn, unavailable
from .errors import error_response
from .limits import BodyLimit, window_limit


SHUTDOWN_SECONDS = 60  # the longest answer takes a few seconds on the packaged model; a large one, longer


def create_app(engine: ChatEngine, auth: Auth, saved: Conversations, settings: Settings) -> FastAPI:
    app = FastAPI(title="Private RAG", docs_url="/api/docs", openapi_url="/api/openapi.json")
    # Questions, searches and embeddings per user or API key, the page's included.
    app.state.rate_limit = window_limit(settings, "rate", settings.rate_limit_per_minute, 60)
    app.add_exception_handler(RateLimited, _too_many)
    app.add_exception_handler(StateUnavailable, unavailable)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.include_router(login.router(auth))
    app.include_router(api.router(engine))
    app.include_router(openai_api.router(engine))
    app.include_router(reading.router(engine))
    app.include_router(conversations.router(saved))
    app.include_router(admin.router(Admin(engine.store, engine.audit, settings, engine.feedback)))
    app = gr.mount_gradio_app(
        app, chat.build(engine, saved, app.state.rate_limit, show_account=auth.required), path="/", theme=chat.THEME, css=chat.CSS,
        ssr_mode=False, footer_links=[], pwa=False, mcp_server=False, enable_monitoring=False,
    )
    app.add_middleware(RequireSignIn, auth=auth)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_kb * 1024)  # outermost: before anything reads
    return app


async def _too_many(request: Request, error: RateLimited) -> JSONResponse:
    return error_response(429, "rate_limit_exceeded", str(error), headers={"Retry-After": str(error.seconds)})


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    """Errors the framework raises (a body that is not JSON, an unknown path) in the server's one shape."""
    code = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
    return error_response(error.status_code, code.get(error.status_code, "error"), str(error.detail),
                          headers=getattr(error, "headers", None))


async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """/v1 answers a request that breaks its schema as OpenAI does (400, the field in "param"); /api
    keeps FastAPI's 422 with every problem listed."""
    if not request.url.path.startswith("/v1/"):
        return await request_validation_exception_handler(request, error)
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"] if part != "body")
    return error_response(400, "invalid_value", f"{field or 'body'}: {first['msg']}", field or None)


def serve(settings: Settings) -> None:
    import uvicorn

    # Sign-in failures and refused headers are logged for the admin (stderr: the journal under systemd).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        auth = Auth(settings)
    except StateUnavailable as error:
        sys.exit(f"cannot start: {error} (RAG_DATABASE_URL)")
    if auth.required and not auth.users.users():
        print(f"Sign-in is on and {auth.users.path} lists no user yet: add one with "
              "python -m chatbot users add NAME --group GROUP", file=sys.stderr, flush=True)
    engine = ChatEngine(settings, audit=AuditLog.for_settings(settings), feedback=FeedbackStore(settings.feedback_path, settings.database_url))
    try:
        engine.warm_up()  # the model (or its server), Kiwi, the indexes: loaded before the first user waits
    except (LLMUnavailable, FileNotFoundError, ValueError) as error:
        sys.exit(f"cannot start: {error}")
    print(f"Serving on http://{settings.host}:{settings.port}  (model {engine.model_name}, "
          f"{engine.document_count()} documents, sign-in {'on' if auth.required else 'off'})", flush=True)
    # SIGTERM (systemd stop): uvicorn stops taking connections and lets the answers in flight finish,
    # for at most SHUTDOWN_SECONDS; then it hands the signal back to the handler it found, and a stop
    # is not a crash: exit 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    saved = Conversations(settings.conversations_path, settings.conversation_days, settings.database_url)
    uvicorn.run(create_app(engine, auth, saved, settings), host=settings.host, port=settings.port, log_level="warning",
                timeout_graceful_shutdown=SHUTDOWN_SECONDS)
