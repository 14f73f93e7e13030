"""One process serving the chat page at / and the HTTP API at /api, sharing one engine.

Every route but the sign-in form goes through RequireSignIn (ui/auth.py),
which puts the signed-in reader on the request for the routes to search as.
"""

from __future__ import annotations

import logging
import signal
import sys

import gradio as gr
from fastapi import FastAPI

from chatbot import AuditLog, ChatEngine, Conversations, LLMUnavailable
from settings import Settings

from . import api, chat, conversations, login, reading
from .auth import Auth, RequireSignIn


SHUTDOWN_SECONDS = 60  # the longest answer takes a few seconds on the packaged model; a large one, longer


def create_app(engine: ChatEngine, auth: Auth, saved: Conversations) -> FastAPI:
    app = FastAPI(title="Private RAG", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.include_router(login.router(auth))
    app.include_router(api.router(engine))
    app.include_router(reading.router(engine))
    app.include_router(conversations.router(saved))
    app = gr.mount_gradio_app(
        app, chat.build(engine, saved, show_account=auth.required), path="/", theme=chat.THEME, css=chat.CSS,
        ssr_mode=False, footer_links=[], pwa=False, mcp_server=False, enable_monitoring=False,
    )
    app.add_middleware(RequireSignIn, auth=auth)
    return app


def serve(settings: Settings) -> None:
    import uvicorn

    # Sign-in failures and refused headers are logged for the admin (stderr: the journal under systemd).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    auth = Auth(settings)
    if auth.required and not auth.users.users():
        print(f"Sign-in is on and {settings.users_path} lists no user yet: add one with "
              "python -m chatbot users add NAME --group GROUP", file=sys.stderr, flush=True)
    engine = ChatEngine(settings, audit=AuditLog.for_settings(settings))
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
    saved = Conversations(settings.conversations_path, settings.conversation_days)
    uvicorn.run(create_app(engine, auth, saved), host=settings.host, port=settings.port, log_level="warning",
                timeout_graceful_shutdown=SHUTDOWN_SECONDS)
