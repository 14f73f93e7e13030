"""The HTTP API: the same answer engine as the chat page, for scripts and other tools.

    GET  /api/health                       model, documents, chunks
    POST /api/search {"query", "k"}        passages
    POST /api/ask    {"question", "history"}
         -> NDJSON stream: {"type": "sources", "found", "sources"},
            {"type": "token", "text"}..., {"type": "done", "answer", "found", "sources", "usage", "ttft_s"}
"""

from __future__ import annotations

import json
from typing import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from chatbot import ChatEngine, DoneEvent, SourcesEvent, TokenEvent


class SearchRequest(BaseModel):
    query: str = Field(min_length=1)
    k: int = Field(5, gt=0, le=50)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    history: list[str] = Field(default_factory=list, description="The user's earlier questions, oldest first.")


def router(engine: ChatEngine) -> APIRouter:
    api = APIRouter(prefix="/api")

    @api.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": engine.model_name, "documents": engine.document_count(),
                "chunks": engine.store.count()}

    @api.post("/search")
    def search(request: SearchRequest) -> list[dict]:
        return [p.to_json() for p in engine.search(request.query, request.k)]

    @api.post("/ask")
    def ask(request: AskRequest) -> StreamingResponse:
        return StreamingResponse(_ndjson(engine, request), media_type="application/x-ndjson")

    return api


def _ndjson(engine: ChatEngine, request: AskRequest) -> Iterator[str]:
    for event in engine.stream(request.question, request.history):
        if isinstance(event, SourcesEvent):
            item = {"type": "sources", "found": event.found, "sources": [p.to_json() for p in event.sources]}
        elif isinstance(event, TokenEvent):
            item = {"type": "token", "text": event.text}
        elif isinstance(event, DoneEvent):
            item = {"type": "done", "standalone": event.answer.standalone, **event.answer.to_json()}
        yield json.dumps(item, ensure_ascii=False) + "\n"
