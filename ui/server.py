"""One process serving the chat page at / and the HTTP API at /api, sharing one engine."""

from __future__ import annotations

import gradio as gr
from fastapi import FastAPI

from chatbot import ChatEngine
from settings import Settings

from . import api, chat


def create_app(engine: ChatEngine) -> FastAPI:
    app = FastAPI(title="Private RAG", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.include_router(api.router(engine))
    return gr.mount_gradio_app(
        app, chat.build(engine), path="/", theme=chat.THEME, css=chat.CSS, ssr_mode=False,
        footer_links=[], pwa=False, mcp_server=False, enable_monitoring=False,
    )


def serve(settings: Settings) -> None:
    import uvicorn

    engine = ChatEngine(settings)
    engine.llm  # load the model before the first user waits for it
    print(f"Serving on http://{settings.host}:{settings.port}  (model {engine.model_name}, "
          f"{engine.document_count()} documents)", flush=True)
    uvicorn.run(create_app(engine), host=settings.host, port=settings.port, log_level="warning")
